"""Console pages of credit: the records (propose, the workflow's steps, the party's objection and repair
application), the ratings with their explanation, and the police's evidence packages. Writes go through
credit.services / credit.evidence; reads through credit.selectors (always scoped)."""
from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from wageguard.core import access, files
from wageguard.core.access import route
from wageguard.core.http import service_call
from wageguard.core.errors import ACCESS_ERRORS, ServiceError
from wageguard.core.pii import mask
from wageguard.core.xlsx import download, new_sheet, to_bytes
from wageguard.registry.models import Enterprise, Project
from wageguard.registry.selectors import worker_by_id_number

from . import evidence, rating, selectors, services
from .models import PERSON_KINDS, Band, CreditAction, CreditRecord, EvidenceRequest, EvidenceSubject, RecordKind, RecordStatus


class ProposeForm(forms.Form):
    kind = forms.ChoiceField(label=gettext_lazy("Kind"), choices=RecordKind.choices)
    uscc = forms.CharField(label=gettext_lazy("Enterprise's unified social credit code"), max_length=18, required=False)
    id_number = forms.CharField(label=gettext_lazy("Person's resident ID number (a malicious claim)"), max_length=18, required=False)
    project_code = forms.CharField(label=gettext_lazy("Project code (optional)"), max_length=64, required=False)
    amount = forms.DecimalField(label=gettext_lazy("Amount (yuan)"), min_value=0, max_digits=14, decimal_places=2, required=False)
    facts = forms.CharField(label=gettext_lazy("Facts found"), widget=forms.Textarea(attrs={"rows": 4}), max_length=4000)
    legal_basis = forms.CharField(label=gettext_lazy("Legal basis"), max_length=300)


class EvidenceForm(forms.Form):
    subject_type = forms.ChoiceField(label=gettext_lazy("Subject"), choices=EvidenceSubject.choices)
    enterprise_uscc = forms.CharField(label=gettext_lazy("Enterprise's unified social credit code"), max_length=18, required=False)
    project_code = forms.CharField(label=gettext_lazy("Project code"), max_length=64, required=False)
    id_number = forms.CharField(label=gettext_lazy("Person's resident ID number"), max_length=18, required=False)
    case_number = forms.CharField(label=gettext_lazy("Case number"), max_length=64)
    reason = forms.CharField(label=gettext_lazy("Reason"), widget=forms.Textarea(attrs={"rows": 3}), max_length=2000)


def _form_errors(request, form) -> None:
    for name, errors in form.errors.items():
        label = form.fields[name].label if name in form.fields else ""
        messages.error(request, f"{label}: {' '.join(errors)}" if label else " ".join(errors))


# ---------------------------------------------------------------- records


def _record_filters(request) -> selectors.RecordFilters:
    get = request.GET
    kind, status = get.get("kind", ""), get.get("status", "")
    return selectors.RecordFilters(kind=kind if kind in RecordKind.values else "", status=status if status in RecordStatus.values else "",
                                   q=get.get("q", "")[:100])


@require_safe
@route("credit.view")
def record_list(request):
    filters = _record_filters(request)
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "credit/record_list.html", {
        "page": Paginator(selectors.record_list(user=request.user, filters=filters), 50).get_page(request.GET.get("page")),
        "filters": filters, "querystring": query.urlencode(), "kinds": RecordKind.choices, "statuses": RecordStatus.choices,
        "may_propose": access.is_official(request.user) or access.is_admin(request.user)})


@require_safe
@route("credit.view")
def record_export(request):
    headers = [_("Kind"), _("Status"), _("Party"), _("Unified social credit code"), _("Deciding department"), _("Facts found"),
               _("Legal basis"), _("Amount (yuan)"), _("Decision document"), _("Decision date"), _("Published on"), _("Removal date")]
    workbook, sheet = new_sheet(headers, str(_("Credit records")))
    for r in selectors.record_list(user=request.user, filters=_record_filters(request))[:20000]:
        sheet.append([r.get_kind_display(), r.get_status_display(), r.party_name, r.enterprise.uscc if r.enterprise_id else "",
                      str(r.department), r.facts, r.legal_basis, r.amount, r.decision_document, r.decided_on, r.published_on, r.removal_on])
    return download(to_bytes(workbook), "credit-records.xlsx")


@require_http_methods(["GET", "POST"])
@route("credit.propose")
def record_new(request):
    form = ProposeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        uscc, id_number, code = data["uscc"].strip().upper(), data["id_number"].strip().upper(), data["project_code"].strip()
        # Looked up over the whole province; the service answers "not in your area" alike for unknown and out of scope.
        enterprise = Enterprise.objects.filter(uscc=uscc).first() if uscc else None
        worker = worker_by_id_number(id_number) if id_number and data["kind"] in PERSON_KINDS else None
        project = Project.objects.visible_to(request.user).filter(code=code).first() if code else None
        created = {}

        def propose():
            if code and project is None:
                raise ServiceError("not_found", _("No project with this code was found."), "project_code")
            created["record"] = services.record_propose(
                actor=request.user, kind=data["kind"], facts=data["facts"], legal_basis=data["legal_basis"], enterprise=enterprise,
                worker=worker, project=project, amount=data["amount"])

        if service_call(request, propose, _("Proposed. Notify the party to open its objection window.")):
            return redirect("credit_record", pk=created["record"].pk)
    elif request.method == "POST":
        _form_errors(request, form)
    return render(request, "credit/record_new.html", {"form": form})


def _steps(user, record: CreditRecord) -> list[str]:
    """The steps this person may take on the record now (the template shows their forms)."""
    allowed = {
        "notify": record.status == RecordStatus.PROPOSED,
        "decide": record.status == RecordStatus.NOTIFIED,
        "withdraw": record.status in (RecordStatus.PROPOSED, RecordStatus.NOTIFIED, RecordStatus.DECIDED),
        "publish": record.status == RecordStatus.DECIDED and record.is_public_kind,
        "remove": record.status in (RecordStatus.DECIDED, RecordStatus.PUBLISHED),
        "repair": record.status in (RecordStatus.DECIDED, RecordStatus.PUBLISHED) and services._repair_pending(record),
        "object": record.status == RecordStatus.NOTIFIED,
        "repair_apply": record.status in (RecordStatus.DECIDED, RecordStatus.PUBLISHED),
    }
    return [step for step, ok in allowed.items() if ok and access.can(user, f"credit.{step}", record)]


@require_safe
@route("credit.view", pk=CreditRecord)
def record_detail(request, pk: int):
    record = selectors.record_get(user=request.user, pk=pk)
    return render(request, "credit/record_detail.html", {
        "record": record, "history": selectors.history(record), "steps": _steps(request.user, record),
        "default_period": services.DEFAULT_PERIOD_MONTHS.get(record.kind, 12),
        "person_id_masked": mask(record.person_id_number) if record.person_id_number else ""})


STEPS = {
    "notify": lambda r, u, p, f: services.record_notify(actor=u, record=r, note=p.get("note", "")),
    "object": lambda r, u, p, f: services.record_object(actor=u, record=r, note=p.get("note", ""), attachment=f.get("attachment")),
    "decide": lambda r, u, p, f: services.record_decide(actor=u, record=r, decision_document=p.get("decision_document", ""), note=p.get("note", "")),
    "withdraw": lambda r, u, p, f: services.record_withdraw(actor=u, record=r, note=p.get("note", "")),
    "publish": lambda r, u, p, f: services.record_publish(actor=u, record=r, period_months=p.get("period_months") or None, note=p.get("note", "")),
    "remove": lambda r, u, p, f: services.record_remove(actor=u, record=r, note=p.get("note", "")),
    "repair_apply": lambda r, u, p, f: services.record_repair_apply(actor=u, record=r, note=p.get("note", ""), attachment=f.get("attachment")),
    "repair": lambda r, u, p, f: services.record_repair(actor=u, record=r, grant=True, note=p.get("note", "")),
    "refuse_repair": lambda r, u, p, f: services.record_repair(actor=u, record=r, grant=False, note=p.get("note", "")),
}


@require_POST
@route("credit.{step}", pk=CreditRecord, step=sorted(STEPS))
def record_step(request, pk: int, step: str):
    record = selectors.record_get(user=request.user, pk=pk)
    if step not in STEPS:
        raise Http404("step")
    access.require(request.user, f"credit.{step}", record)
    service_call(request, lambda: STEPS[step](record, request.user, request.POST, request.FILES), _("Recorded."))
    return redirect("credit_record", pk=pk)


@require_safe
@route("credit.view", pk=CreditAction)
def attachment(request, pk: int):
    action = selectors.attachment_get(user=request.user, pk=pk)
    return files.serve(action.attachment, action.attachment_type or "application/octet-stream",
                       f"credit-{action.record_id}-{action.pk}{files.EXTENSION.get(action.attachment_type, '')}")


# ---------------------------------------------------------------- ratings


@require_safe
@route("credit.view")
def rating_list(request):
    band = request.GET.get("band", "")
    band = band if band in Band.values else ""
    query = request.GET.copy()
    query.pop("page", None)
    ratings = selectors.rating_list(user=request.user, band=band, q=request.GET.get("q", ""))
    return render(request, "credit/rating_list.html", {
        "page": Paginator(ratings, 50).get_page(request.GET.get("page")), "band": band, "bands": Band.choices,
        "q": request.GET.get("q", "")[:100], "querystring": query.urlencode()})


def _source_link(source: dict) -> str:
    names = {"credit_record": "credit_record", "alert": "alert_detail", "deposit": "deposit_detail", "complaint": "complaint_detail"}
    name = names.get(source["type"])
    return reverse(name, args=[source["id"]]) if name else ""


@require_safe
@route("credit.view", pk=Enterprise)
def rating_detail(request, pk: int):
    """An enterprise's rating, line by line: the fact, how many, the weight, the points, the records behind it."""
    current = selectors.rating_get(user=request.user, enterprise_pk=pk)
    lines = [{**line, "label": rating.label(line["key"]), "links": [(s, _source_link(s)) for s in line["sources"]]} for line in current.lines]
    base = sum(line["points"] for line in current.lines)
    return render(request, "credit/rating_detail.html", {
        "rating": current, "enterprise": current.enterprise, "lines": lines, "base": current.score - base,
        "records": selectors.records_of(user=request.user, enterprise_id=pk)[:50]})


# ---------------------------------------------------------------- evidence packages


@require_http_methods(["GET", "POST"])
@route("evidence.view")
def evidence_list(request):
    form = EvidenceForm(request.POST or None)
    may_request = access.can(request.user, "evidence.request")
    if request.method == "POST":
        access.require(request.user, "evidence.request")
        if form.is_valid():
            created = {}

            def ask():
                created["request"] = evidence.evidence_request(actor=request.user, **form.cleaned_data)

            if service_call(request, ask, _("Requested. The HRSS department will review it.")):
                return redirect("evidence_detail", pk=created["request"].pk)
        else:
            _form_errors(request, form)
    return render(request, "credit/evidence_list.html", {
        "requests": evidence.evidence_list(user=request.user)[:200], "form": form, "may_request": may_request})


@require_safe
@route("evidence.view", pk=EvidenceRequest)
def evidence_detail(request, pk: int):
    item = evidence.evidence_get(user=request.user, pk=pk)
    return render(request, "credit/evidence_detail.html", {
        "item": item, "history": evidence.evidence_history(item),
        "may_decide": item.status == "requested" and access.can(request.user, "evidence.approve", item),
        "may_download": item.status == "ready" and access.can(request.user, "evidence.download", item)})


EVIDENCE_STEPS = {"approve": evidence.evidence_approve, "reject": evidence.evidence_reject}


@require_POST
@route("evidence.{step}", pk=EvidenceRequest, step=sorted(EVIDENCE_STEPS))
def evidence_step(request, pk: int, step: str):
    item = evidence.evidence_get(user=request.user, pk=pk)
    if step not in EVIDENCE_STEPS:
        raise Http404("step")
    access.require(request.user, f"evidence.{step}", item)
    service_call(request, lambda: EVIDENCE_STEPS[step](actor=request.user, request=item, note=request.POST.get("note", "")), _("Recorded."))
    return redirect("evidence_detail", pk=pk)


@require_safe
@route("evidence.view", pk=EvidenceRequest)  # the service checks the download itself (the requesting police only)
def evidence_download(request, pk: int):
    item = evidence.evidence_get(user=request.user, pk=pk)
    try:
        data, filename = evidence.evidence_download(actor=request.user, request=item)
    except ACCESS_ERRORS:
        raise
    except ServiceError as error:
        messages.error(request, str(error.message))
        return redirect("evidence_detail", pk=pk)
    response = HttpResponse(data, content_type="application/zip")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["X-Content-Type-Options"] = "nosniff"
    return response
