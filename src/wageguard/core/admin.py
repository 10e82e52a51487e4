from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from .models import AuditEntry, Department, Region, User


class ReadOnlyAdmin(admin.ModelAdmin):
    """Domain data changes only through services (audited); the admin shows it."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(User)
class UserAdmin(BaseUserAdmin):
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
