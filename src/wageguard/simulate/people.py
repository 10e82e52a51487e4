"""The simulator's people: one enterprise administrator per enterprise, a bot that cannot sign in."""
from __future__ import annotations

from wageguard.core.models import Role, User
from wageguard.core.services import user_create


def enterprise_admin(enterprise) -> User:
    username = f"sim-ent-{enterprise.uscc}"
    return User.objects.filter(username=username).first() or user_create(
        username=username, password=None, role=Role.ENTERPRISE_ADMIN, enterprise=enterprise, full_name=f"{enterprise.name}（模拟管理员）")
