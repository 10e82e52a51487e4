from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from . import audit
from .models import AuditEntry, Department, Region, User

SECRET_FIELDS = {"password", "key", "secret", "bin_key"}  # never copied into the audit log


def _picture(obj):
    if obj is None:
        return None
    fields = [f.name for f in obj._meta.concrete_fields if f.name not in SECRET_FIELDS]
    picture = audit.snapshot(obj, fields)
    for m2m in obj._meta.many_to_many:
        picture[m2m.name] = sorted(str(x) for x in getattr(obj, m2m.name).all()) if obj.pk else []
    return picture


class AuditedAdmin(admin.ModelAdmin):
    """A change made in Django's admin (a user, their permissions, an OTP device, a lockout cleared) is an audit
    entry as well: who, what, before and after (secrets left out)."""

    def save_model(self, request, obj, form, change):
        request._audit_before = _picture(type(obj).objects.filter(pk=obj.pk).first()) if change and obj.pk else None
        super().save_model(request, obj, form, change)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)  # many-to-many (groups, permissions) saved now
        obj = form.instance
        audit.record(actor=request.user, action="admin.change" if change else "admin.add", obj=obj,
                     before=getattr(request, "_audit_before", None), after=_picture(obj))

    def delete_model(self, request, obj):
        audit.record(actor=request.user, action="admin.delete", obj=obj, before=_picture(obj))
        super().delete_model(request, obj)

    def delete_queryset(self, request, queryset):
        for obj in queryset:
            audit.record(actor=request.user, action="admin.delete", obj=obj, before=_picture(obj))
        super().delete_queryset(request, queryset)


class ReadOnlyAdmin(admin.ModelAdmin):
    """Domain data changes only through services (audited); the admin shows it."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(User)
class UserAdmin(AuditedAdmin, BaseUserAdmin):
    def user_change_password(self, request, id, form_url=""):
        """Django's password page saves the form itself (not through save_model): audit it here (no hash kept)."""
        response = super().user_change_password(request, id, form_url)
        if request.method == "POST" and response.status_code == 302:
            audit.record(actor=request.user, action="admin.password_change", object_type="core.user", object_id=str(id))
        return response

    list_display = ("username", "get_full_name", "role", "department", "enterprise", "is_active")
    list_filter = ("role", "is_active", "department__agency")
    fieldsets = BaseUserAdmin.fieldsets + (("wageguard", {"fields": ("role", "department", "enterprise", "project", "worker", "bank_code")}),)
    raw_id_fields = ("enterprise", "project", "worker", "department")


@admin.register(Region)
class RegionAdmin(ReadOnlyAdmin):
    list_display = ("code", "name", "level", "parent")
    list_filter = ("level",)
    search_fields = ("code", "name")


@admin.register(Department)
class DepartmentAdmin(ReadOnlyAdmin):
    list_display = ("__str__", "region", "agency")
    list_filter = ("agency", "region__level")


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnlyAdmin):
    list_display = ("id", "at", "actor_label", "action", "object_type", "object_id")
    list_filter = ("action",)
    search_fields = ("object_id", "actor_label")


def _audit_registered(model) -> None:
    """Give an admin registered by another app (django-otp's devices, django-axes' lockouts) the audit trail."""
    if admin.site.is_registered(model):
        current = type(admin.site._registry[model])
        admin.site.unregister(model)
        admin.site.register(model, type(f"Audited{current.__name__}", (AuditedAdmin, current), {}))


def _audit_third_party_admins() -> None:
    from axes.models import AccessAttempt, AccessFailureLog, AccessLog
    from django_otp.plugins.otp_totp.models import TOTPDevice

    for model in (TOTPDevice, AccessAttempt, AccessLog, AccessFailureLog):
        _audit_registered(model)


_audit_third_party_admins()
