from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _


class RegionLevel(models.TextChoices):
    PROVINCE = "province", _("province")
    CITY = "city", _("city")
    COUNTY = "county", _("county")


class Region(models.Model):
    """An administrative region with its GB/T 2260 code."""

    code = models.CharField(_("code"), max_length=6, unique=True)
    name = models.CharField(_("name"), max_length=64)
    level = models.CharField(_("level"), max_length=16, choices=RegionLevel.choices)
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="children")

    class Meta:
        ordering = ["code"]
        verbose_name = _("region")
        verbose_name_plural = _("regions")

    def __str__(self) -> str:
        return self.name

    @property
    def subtree_prefix(self) -> str:
        """GB/T 2260 codes nest: every region below this one starts with this prefix."""
        return {RegionLevel.PROVINCE: self.code[:2], RegionLevel.CITY: self.code[:4]}.get(self.level, self.code)

    @property
    def full_name(self) -> str:
        names, region = [], self
        while region is not None:
            names.append(region.name)
            region = region.parent
        return "".join(reversed(names))


class Agency(models.TextChoices):
    HRSS = "hrss", _("HRSS")
    HOUSING = "housing", _("housing & construction")
    TRANSPORT = "transport", _("transport")
    WATER = "water", _("water resources")
    PBOC = "pboc", _("central bank branch")
    POLICE = "police", _("police")


class Industry(models.TextChoices):
    BUILDING = "building", _("building")
    MUNICIPAL = "municipal", _("municipal")
    TRANSPORT = "transport", _("transport")
    WATER = "water", _("water")
    OTHER = "other", _("other")


# Which industries each supervising department oversees. HRSS and PBOC see every industry
# (PBOC only account data); police sees no registry data (evidence packages come later).
AGENCY_INDUSTRIES: dict[str, tuple[str, ...]] = {
    Agency.HRSS: tuple(Industry.values),
    Agency.HOUSING: (Industry.BUILDING, Industry.MUNICIPAL),
    Agency.TRANSPORT: (Industry.TRANSPORT,),
    Agency.WATER: (Industry.WATER,),
    Agency.PBOC: tuple(Industry.values),
    Agency.POLICE: (),
}

# The department that files and onboards a project of each industry.
INDUSTRY_AGENCY: dict[str, str] = {
    Industry.BUILDING: Agency.HOUSING,
    Industry.MUNICIPAL: Agency.HOUSING,
    Industry.TRANSPORT: Agency.TRANSPORT,
    Industry.WATER: Agency.WATER,
    Industry.OTHER: Agency.HRSS,
}


class Department(models.Model):
    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="departments")
    agency = models.CharField(_("agency"), max_length=16, choices=Agency.choices)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["region", "agency"], name="department_region_agency_unique")]
        ordering = ["region__code", "agency"]
        verbose_name = _("department")
        verbose_name_plural = _("departments")

    def __str__(self) -> str:
        return f"{self.region.name}{self.get_agency_display()}"

    @property
    def industries(self) -> tuple[str, ...]:
        return AGENCY_INDUSTRIES[self.agency]


class Role(models.TextChoices):
    OFFICIAL = "official", _("department official")
    ENTERPRISE_ADMIN = "enterprise_admin", _("enterprise admin")
    WAGE_OFFICER = "wage_officer", _("project wage officer")
    BANK_OPERATOR = "bank_operator", _("bank operator")
    WORKER = "worker", _("worker")
    POLICE = "police", _("police")
    PLATFORM_ADMIN = "platform_admin", _("platform admin")


class User(AbstractUser):
    """A person signing in. What they may see follows from role and the links below."""

    role = models.CharField(_("role"), max_length=32, choices=Role.choices, default=Role.OFFICIAL)
    department = models.ForeignKey(Department, null=True, blank=True, on_delete=models.PROTECT, related_name="users")
    enterprise = models.ForeignKey(
        "registry.Enterprise", null=True, blank=True, on_delete=models.PROTECT, related_name="users"
    )
    project = models.ForeignKey("registry.Project", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    worker = models.OneToOneField(
        "registry.Worker", null=True, blank=True, on_delete=models.PROTECT, related_name="user"
    )
    bank_code = models.CharField(_("bank code"), max_length=16, blank=True)

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        permissions = [("unmask_pii", "Can read personal data unmasked (audited)")]

    @property
    def is_platform_admin(self) -> bool:
        return self.role == Role.PLATFORM_ADMIN or self.is_superuser

    @property
    def level(self) -> str | None:
        """An official's level follows from their department's region."""
        return self.department.region.level if self.department_id else None


class AuditChainHead(models.Model):
    """One row, locked while an entry is appended, so that the hash chain never forks."""

    last_hash = models.CharField(max_length=64, default="0" * 64)


class AuditEntry(models.Model):
    """Who did what, when, with before/after; each entry hashes the one before it."""

    at = models.DateTimeField(db_index=True)
    actor = models.ForeignKey(User, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    actor_label = models.CharField(max_length=150, blank=True)
    action = models.CharField(max_length=100, db_index=True)
    object_type = models.CharField(max_length=100, blank=True)
    object_id = models.CharField(max_length=64, blank=True, db_index=True)
    before = models.JSONField(null=True, blank=True)
    after = models.JSONField(null=True, blank=True)
    reason = models.TextField(blank=True)
    prev_hash = models.CharField(max_length=64)
    key_id = models.CharField(max_length=16, blank=True)  # the HMAC-SM3 key that sealed it ("" before the chain was keyed)
    hash = models.CharField(max_length=64, unique=True)

    class Meta:
        ordering = ["id"]
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit entries")

    def __str__(self) -> str:
        return f"#{self.pk} {self.action} {self.object_type}:{self.object_id}"


class RegionalSetting(models.Model):
    """A region's own value for a rule threshold (see `core.rules`): the nearest region up the tree wins."""

    key = models.CharField(_("rule"), max_length=64)
    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="settings")
    value = models.DecimalField(_("value"), max_digits=16, decimal_places=4)
    regulation = models.CharField(_("regulation"), max_length=300, help_text=_("the local rule that sets this value"))
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["key", "region"], name="regionalsetting_key_region_unique")]
        verbose_name = _("regional setting")
        verbose_name_plural = _("regional settings")

    def __str__(self) -> str:
        return f"{self.key} @ {self.region_id} = {self.value}"
