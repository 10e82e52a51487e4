"""Write paths of core: regions, departments, users, regional rule settings."""
from __future__ import annotations

import csv
from pathlib import Path

from django.contrib.auth.models import Permission
from django.utils.translation import gettext as _

from . import audit
from .errors import ServiceError
from .transactions import service
from .models import Agency, Department, Region, RegionLevel, Role, User

REGIONS_CSV = Path(__file__).resolve().parent / "data" / "regions_shandong.csv"


@service
def regions_load(*, actor=None, path: Path = REGIONS_CSV) -> tuple[int, int]:
    """Load (or refresh) regions and create a department per agency at every region. Idempotent."""
    with open(path, encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    existing = {r.code: r for r in Region.objects.all()}
    order = {RegionLevel.PROVINCE: 0, RegionLevel.CITY: 1, RegionLevel.COUNTY: 2}
    changed = 0
    for row in sorted(rows, key=lambda r: order[r["level"]]):
        parent = existing.get(row["parent_code"]) if row["parent_code"] else None
        region = existing.get(row["code"])
        if region is None:
            region = Region.objects.create(code=row["code"], name=row["name"], level=row["level"], parent=parent)
            existing[region.code] = region
            changed += 1
        elif (region.name, region.level, region.parent_id) != (row["name"], row["level"], parent.pk if parent else None):
            region.name, region.level, region.parent = row["name"], row["level"], parent
            region.save()
            changed += 1
    have = set(Department.objects.values_list("region_id", "agency"))
    new = [Department(region=r, agency=a) for r in existing.values() for a in Agency.values if (r.pk, a) not in have]
    Department.objects.bulk_create(new)
    if changed or new:
        audit.record(actor=actor, action="core.regions_load", object_type="core.region",
                     after={"regions_changed": changed, "departments_created": len(new)})
    return len(existing), Department.objects.count()


@service
def user_create(*, actor=None, username: str, password: str | None, role: str, full_name: str = "",
                department: Department | None = None, enterprise=None, project=None, worker=None,
                bank_code: str = "", unmask_pii: bool = False) -> User:
    """Create or reset a console user (used by the demo and by operators' scripts); no password = cannot sign in
    (the simulator's people)."""
    if role not in Role.values:
        raise ValueError(f"unknown role {role}")
    user, created = User.objects.get_or_create(username=username)
    before = None if created else audit.snapshot(user, ["role", "department", "enterprise", "project", "worker"])
    user.role = role
    user.first_name = full_name
    user.department, user.enterprise, user.project, user.worker, user.bank_code = department, enterprise, project, worker, bank_code
    user.is_staff = user.is_superuser = role == Role.PLATFORM_ADMIN
    if password is None:
        user.set_unusable_password()
    else:
        user.set_password(password)
    user.save()
    permission = Permission.objects.get(codename="unmask_pii", content_type__app_label="core")
    if unmask_pii:
        user.user_permissions.add(permission)
    else:
        user.user_permissions.remove(permission)
    audit.record(actor=actor, action="core.user_create" if created else "core.user_reset", obj=user, before=before,
                 after=audit.snapshot(user, ["role", "department", "enterprise", "project", "worker"]))
    return user


@service
def regional_setting_set(*, actor, key: str, region, value, regulation: str):
    """A region's own value for a rule threshold, within the rule's bounds, citing the local rule; audited."""
    from decimal import Decimal, InvalidOperation

    from . import rules
    from .models import RegionalSetting

    rule = rules.RULES.get(key)
    if rule is None:
        raise ServiceError("unknown_rule", _("Unknown rule: %(key)s") % {"key": key}, "key")
    try:
        value = Decimal(str(value))
    except InvalidOperation:
        raise ServiceError("invalid_number", _("The value must be a number."), "value") from None
    if (rule.low is not None and value < rule.low) or (rule.high is not None and value > rule.high):
        raise ServiceError("out_of_range", _("The value must lie between %(low)s and %(high)s.") % {
            "low": rule.low if rule.low is not None else "—", "high": rule.high if rule.high is not None else "—"}, "value")
    if not (regulation or "").strip():
        raise ServiceError("required", _("Cite the local rule that sets this value."), "regulation")
    setting = RegionalSetting.objects.select_for_update().filter(key=key, region=region).first()
    before = audit.snapshot(setting) if setting else None
    setting = setting or RegionalSetting(key=key, region=region)
    setting.value, setting.regulation = value, regulation.strip()
    setting.save()
    audit.record(actor=actor, action="core.regional_setting_set", obj=setting, before=before, after=audit.snapshot(setting))
    return setting
