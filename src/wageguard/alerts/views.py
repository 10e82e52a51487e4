"""Console pages of alerts: the inbox (filters, Excel), an alert with its facts, the data behind it and its
handling, and the heat map. Writes go through alerts.services; reads through alerts.selectors."""
from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST, require_safe

from wageguard.core import access, files
from wageguard.core.access import route
from wageguard.core.xlsx import download
from wageguard.core.errors import ACCESS_ERRORS, ServiceError

from . import excel, selectors, services
from .catalogue import RULES
from .models import Alert, AlertAction, AlertStatus, Severity

STATUS_CHOICES = [("active", gettext_lazy("not closed")), ("closed", gettext_lazy("closed (resolved or dismissed)")), ("all", gettext_lazy("all"))]


def _filters(request) -> selectors.InboxFilters:
    get = request.GET
    try:
        older = int(get.get("older_than_days") or 0) or None
    except ValueError:
        older = None
    status = get.get("status", "active")
    return selectors.InboxFilters(
        severity=get.get("severity", "") if get.get("severity", "") in Severity.values else "",
        rule=get.get("rule", "") if get.get("rule", "") in RULES else "", region=get.get("region", "").strip(),
        status=status if status in ("active", "closed", "all", *AlertStatus.values) else "active", older_than_days=older,
        mine=get.get("scope", "mine") == "mine")


@require_safe
@route("alerts.view")
def inbox(request):
    filters = _filters(request)
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "alerts/inbox.html", {
        "page": Paginator(selectors.inbox(user=request.user, filters=filters), 50).get_page(request.GET.get("page")),
        "filters": filters, "querystring": query.urlencode(), "rules": RULES, "severities": Severity.choices,
        "statuses": STATUS_CHOICES, "counts": selectors.counts(user=request.user)})


@require_safe
@route("alerts.view")
def inbox_export(request):
    return download(excel.inbox(selectors.inbox(user=request.user, filters=_filters(request))), "alerts.xlsx")


def _behind(alert) -> list[tuple[str, str]]:
    """Links to the records behind the alert: the ledger (its lines), the account, the deposit, the project and
    its attendance (each page applies its own data scope)."""
    links = []
    records = selectors.records_behind(alert)
    payroll = records.get("payroll")
    for key, label, name in (("payroll", _("Wage ledger"), "payroll_detail"), ("account", _("Wage accounts"), "account_detail"),
                             ("deposit", _("Wage deposits"), "deposit_detail")):
        if key in records:
            links.append((label, reverse(name, args=[records[key]])))
    if alert.project_id:
        for label, name, args in ((_("Project"), "project_detail", [alert.project_id]),
                                  (_("On site today"), "on_site", [alert.project_id])):
            try:
                links.append((label, reverse(name, args=args)))
            except NoReverseMatch:
                continue
        if alert.period and len(alert.period) == 7 and payroll:
            links.append((_("Reconciliation"), reverse("payroll_reconciliation", args=[alert.project_id, alert.period])))
        punches = selectors.punches_behind(alert)
        if punches:
            links.append((_("Gate records"), f"{reverse('punch_list', args=[alert.project_id])}?{urlencode(punches, doseq=True)}"))
    return links


@require_safe
@route("alerts.view", pk=Alert)
def detail(request, pk: int):
    alert = selectors.alert_get(user=request.user, pk=pk)
    return render(request, "alerts/detail.html", {
        "alert": alert, "rule": RULES.get(alert.rule), "actions": alert.actions.select_related("actor"), "behind": _behind(alert),
        "may_handle": access.can(request.user, "alert.handle", alert) and alert.is_open,
        "may_answer": access.can(request.user, "alert.answer", alert),
        "handlers": selectors.handlers(alert)})


STEPS = {"assign": services.alert_assign, "start": services.alert_start, "resolve": services.alert_resolve,
         "dismiss": services.alert_dismiss, "answer": services.alert_answer}


@require_POST
@route("alert.{step}", pk=Alert, step=sorted(STEPS))
def step(request, pk: int, step: str):
    alert = selectors.alert_get(user=request.user, pk=pk)
    if step not in STEPS:
        raise Http404("step")
    access.require(request.user, f"alert.{step}", alert)
    kwargs = {"actor": request.user, "alert": alert}
    if step == "assign":
        assignee = selectors.handlers(alert).filter(pk=request.POST.get("assignee") or 0).first()
        if assignee is None:
            messages.error(request, _("The assignee must be an official of the handling department."))
            return redirect("alert_detail", pk=pk)
        kwargs["assignee"] = assignee
    else:
        kwargs["note"] = request.POST.get("note", "")
    if step == "answer":
        kwargs["attachment"] = request.FILES.get("attachment")
    try:
        STEPS[step](**kwargs)
    except ACCESS_ERRORS:
        raise
    except ServiceError as error:
        messages.error(request, str(getattr(error, "message", error)))
    else:
        messages.success(request, _("Recorded."))
    return redirect("alert_detail", pk=pk)


@require_safe
@route("alerts.map")
def heat_map(request):
    rows = selectors.by_region(user=request.user)
    outlines = selectors.by_outline(rows)
    series = [{"name": name, "value": total} for name, total in outlines.items()]
    counties = selectors.county_tree(rows)
    return render(request, "alerts/map.html", {
        "rows": rows, "series": series, "counties": counties,
        "max": max([s["value"] for s in series] + [1]), "county_max": max([r["total"] for r in rows] + [1])})


@require_safe
@route()
def catalogue(request):
    return render(request, "alerts/catalogue.html", {"rules": RULES.values()})


@require_safe
@route("alerts.view", pk=AlertAction)
def attachment(request, pk: int):
    action = selectors.attachment_get(user=request.user, pk=pk)
    return files.serve(action.attachment, action.attachment_type or "application/octet-stream",
                       f"alert-{action.alert_id}-answer-{action.pk}{files.EXTENSION.get(action.attachment_type, '')}")
