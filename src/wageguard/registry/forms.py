"""Console forms. They only parse input; the services validate and write."""
from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from wageguard.core.errors import ServiceError
from wageguard.core.models import Industry, Region, RegionLevel

from .models import ParticipationRole, ProjectStatus, ShutdownReason


class ServiceForm(forms.Form):
    """A form that shows a service's refusal on the field it names."""

    def add_service_error(self, error: ServiceError) -> None:
        field = error.field if error.field in self.fields else None
        self.add_error(field, str(error.message))


class ProjectForm(ServiceForm):
    name = forms.CharField(label=_("Project name"), max_length=200)
    region = forms.ModelChoiceField(label=_("County"), queryset=Region.objects.filter(level=RegionLevel.COUNTY).select_related("parent"))
    industry = forms.ChoiceField(label=_("Industry"), choices=Industry.choices)
    owner_uscc = forms.CharField(label=_("Owner's unified social credit code"), max_length=18)
    owner_name = forms.CharField(label=_("Owner's name (if not yet registered)"), max_length=200, required=False)
    contractor_uscc = forms.CharField(label=_("General contractor's unified social credit code"), max_length=18)
    contractor_name = forms.CharField(label=_("General contractor's name (if not yet registered)"), max_length=200, required=False)
    contract_amount = forms.DecimalField(label=_("Contract amount (yuan)"), min_value=0, max_digits=16, decimal_places=2)
    labour_cost_ratio = forms.DecimalField(label=_("Labour-cost ratio (0-1)"), min_value=0, max_value=1, decimal_places=4)
    permit_no = forms.CharField(label=_("Construction permit no."), max_length=64, required=False)
    started_on = forms.DateField(label=_("Start date"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    planned_end = forms.DateField(label=_("Planned end"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    status = forms.ChoiceField(label=_("Status"), choices=ProjectStatus.choices, initial=ProjectStatus.UNDER_CONSTRUCTION)
    is_qualifying = forms.BooleanField(label=_("Qualifying project"), required=False, initial=True)

    def __init__(self, *args, region_prefix: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        if region_prefix:
            self.fields["region"].queryset = self.fields["region"].queryset.filter(code__startswith=region_prefix)
        self.fields["region"].label_from_instance = lambda r: f"{r.parent.name}{r.name}"


class ParticipationForm(ServiceForm):
    uscc = forms.CharField(label=_("Unified social credit code"), max_length=18)
    name = forms.CharField(label=_("Name (if not yet registered)"), max_length=200, required=False)
    role = forms.ChoiceField(label=_("Role"), choices=[(ParticipationRole.SUBCONTRACTOR, ParticipationRole.SUBCONTRACTOR.label),
                                                       (ParticipationRole.LABOUR_SUBCONTRACTOR, ParticipationRole.LABOUR_SUBCONTRACTOR.label)])


class ShutdownForm(ServiceForm):
    starts_on = forms.DateField(label=_("First day"), widget=forms.DateInput(attrs={"type": "date"}))
    ends_on = forms.DateField(label=_("Last day"), widget=forms.DateInput(attrs={"type": "date"}))
    reason = forms.ChoiceField(label=_("Reason"), choices=ShutdownReason.choices)
    note = forms.CharField(label=_("Note"), max_length=200, required=False)


class ExitForm(ServiceForm):
    exited_on = forms.DateField(label=_("Exit date"), widget=forms.DateInput(attrs={"type": "date"}))
