from django import forms
from django.core.paginator import Paginator
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _

from wageguard.core import clock
from wageguard.core.access import route

from wageguard.registry import selectors as registry_selectors
from wageguard.registry.models import Employment, Project

from . import selectors


@route("projects.view", pk=Project)
def on_site(request, pk: int):
    project = registry_selectors.project_get(user=request.user, pk=pk)
    today = selectors.on_site_today(project=project, employments=Employment.objects.visible_to(request.user))
    template = "attendance/_on_site.html" if request.headers.get("HX-Request") else "attendance/on_site.html"
    return render(request, template, {"project": project, "today": today,
                                      "devices": selectors.gate_devices(project=project)})


@route("quality.view")
def quality(request):
    projects = Project.objects.visible_to(request.user)
    return render(request, "attendance/quality.html", {
        "senders": selectors.sender_quality(projects=projects),
        "rejections": selectors.rejections(projects=projects),
        "by_contractor": selectors.enterprise_quality(projects=projects),
    })


class PunchFilters(forms.Form):
    first = forms.DateField(label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    last = forms.DateField(label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    worker = forms.TypedMultipleChoiceField(coerce=int, required=False, widget=forms.MultipleHiddenInput)
    late = forms.BooleanField(label=_("Late only"), required=False)

    def __init__(self, data, **kwargs):
        super().__init__(data, **kwargs)
        self.fields["worker"].choices = [(v, v) for v in data.getlist("worker") if v.isdigit()]

    def clean(self):
        data = super().clean()
        today = clock.localdate()
        data["first"] = data.get("first") or today
        data["last"] = data.get("last") or data["first"]
        if data["last"] < data["first"]:
            self.add_error("last", _("The end date is before the start date."))
        return data


@route("projects.view", pk=Project)
def punch_list(request, pk: int):
    """The raw punches of a project (from an alert: its days and workers), paged."""
    project = registry_selectors.project_get(user=request.user, pk=pk)
    filters = PunchFilters(request.GET)
    page = None
    if filters.is_valid():
        rows = selectors.punches(project=project, employments=Employment.objects.visible_to(request.user),
                                 first=filters.cleaned_data["first"], last=filters.cleaned_data["last"],
                                 worker_ids=filters.cleaned_data["worker"], late_only=filters.cleaned_data["late"])
        page = Paginator(rows, 100).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "attendance/punches.html", {"project": project, "filters": filters, "page": page,
                                                        "query": query.urlencode(), "max_days": selectors.PUNCHES_MAX_DAYS})
