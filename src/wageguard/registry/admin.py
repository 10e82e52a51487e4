from django.contrib import admin

from wageguard.core.admin import ReadOnlyAdmin

from .models import Employment, Enterprise, Project, Team


@admin.register(Enterprise)
class EnterpriseAdmin(ReadOnlyAdmin):
    list_display = ("name", "uscc", "kind", "region")
    search_fields = ("name", "uscc")


@admin.register(Project)
class ProjectAdmin(ReadOnlyAdmin):
    list_display = ("code", "name", "region", "industry", "status", "filing_status", "onboarded_at")
    list_filter = ("industry", "status", "filing_status")
    search_fields = ("code", "name")


@admin.register(Team)
class TeamAdmin(ReadOnlyAdmin):
    list_display = ("name", "project", "enterprise")


@admin.register(Employment)
class EmploymentAdmin(ReadOnlyAdmin):
    list_display = ("worker", "project", "enterprise", "trade", "entered_on", "exited_on")
    raw_id_fields = ("worker", "project", "enterprise", "team")
