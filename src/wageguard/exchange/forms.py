"""Console form for a new API client. It only parses input; `services.apiclient_create` validates and writes."""
from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from wageguard.registry.forms import ServiceForm

from .models import ClientKind


class ApiClientForm(ServiceForm):
    kind = forms.ChoiceField(label=_("Kind"), choices=ClientKind.choices)
    name = forms.CharField(label=_("Client name"), max_length=200, required=False)
    project = forms.CharField(label=_("Project codes (gate system; separated by spaces or commas)"), required=False)
    enterprise = forms.CharField(label=_("Enterprise's unified social credit code (enterprise system)"), max_length=18, required=False)
    bank = forms.CharField(label=_("Bank code (bank)"), max_length=16, required=False)
    city = forms.CharField(label=_("City code (city platform)"), max_length=12, required=False)

    def service_kwargs(self) -> dict:
        data = self.cleaned_data
        return {
            "kind": data["kind"], "name": data["name"],
            "project_codes": data["project"].replace(",", " ").replace("，", " ").split(),
            "enterprise_uscc": data["enterprise"], "bank_code": data["bank"], "city_code": data["city"],
        }
