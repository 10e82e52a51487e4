"""Pages of the worker's own channel (phone-sized: my work and pay, a month's calendar, the one-tap complaint) and
the complaint pages of the labour inspection and the enterprise named. Writes through complaints.services."""
from __future__ import annotations

import calendar
import datetime

from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from wageguard.attendance import selectors as attendance_selectors
from wageguard.core import access, clock, files, months
from wageguard.core.access import route
from wageguard.core.http import service_call
from wageguard.core.pii import mask, mask_phone
from wageguard.payroll import selectors as payroll_selectors
from wageguard.registry.models import Employment, Project
from wageguard.core.errors import ServiceError
from wageguard.registry.selectors import worker_by_id_number, worker_get

from . import records, selectors, services
from .models import Channel, Complaint, ComplaintAction, ComplaintKind, ComplaintStatus

LATE_ARRIVAL = datetime.time(9, 0)  # a first punch after nine is marked on the calendar


def _month(request) -> str:
    chosen = request.GET.get("month", "")
    default = months.shift(months.of(clock.localdate()), -1)
    return chosen if months.is_month(chosen) and chosen <= months.of(clock.localdate()) else default


def _calendar(worker, month: str, project_names: dict[int, str]) -> list[list[dict | None]]:
    """The month as weeks (Monday first) of days: attended where, first in / last out, manual or late marked."""
    first, last = months.bounds(month)
    days = {}
    for day in attendance_selectors.days_of_worker(worker.pk, first, last).order_by("day", "project_id"):
        first_in = timezone.localtime(day.first_in) if day.first_in else None
        days.setdefault(day.day, []).append({
            "project": project_names.get(day.project_id, ""), "first_in": first_in.strftime("%H:%M") if first_in else "",
            "last_out": timezone.localtime(day.last_out).strftime("%H:%M") if day.last_out else "",
            "manual": day.has_manual, "late": bool(first_in and first_in.time() > LATE_ARRIVAL)})
    weeks = []
    for week in calendar.Calendar(firstweekday=0).monthdatescalendar(first.year, first.month):
        weeks.append([{"day": d, "entries": days.get(d, [])} if d.month == first.month else None for d in week])
    return weeks


@require_safe
@route("me.view")
def my_work(request):
    """My projects and employers, a month's attendance calendar, my payslips, contracts and card; complain from here."""
    worker = worker_get(user=request.user, pk=request.user.worker_id)
    month = _month(request)
    employments = list(Employment.objects.filter(worker=worker).select_related("project", "enterprise").order_by("-entered_on"))
    names = {e.project_id: e.project.name for e in employments}
    contracts = {e.pk: e.contracts.order_by("-signed_on").first() for e in employments}
    return render(request, "complaints/my_work.html", {
        "worker": worker, "month": month, "previous": months.previous(month),
        "next": months.next_month(month) if month < months.of(clock.localdate()) else "",
        "weeks": _calendar(worker, month, names), "weekdays": ["一", "二", "三", "四", "五", "六", "日"],
        "employments": [(e, contracts[e.pk]) for e in employments],
        "payslips": payroll_selectors.payslips(user=request.user)[:12], "card": mask(worker.bank_card) if worker.bank_card else "",
        "complaints": selectors.complaint_list(user=request.user, filters=selectors.Filters("all"))[:20]})


@require_http_methods(["GET", "POST"])
@route("complaint.file")
def complaint_new(request):
    """The one-tap complaint: the project and months chosen, the worker's facts already filled in."""
    worker = worker_get(user=request.user, pk=request.user.worker_id)
    source = request.POST if request.method == "POST" else request.GET
    project = Project.objects.filter(pk=source.get("project") or 0, employments__worker=worker).distinct().first()
    if project is None:
        raise Http404("project")
    if request.method == "POST":
        created = {}

        def file():
            created["complaint"] = services.complaint_file(
                actor=request.user, project=project, kinds=request.POST.getlist("kinds"), months_claimed=request.POST.getlist("months"),
                text=request.POST.get("text", ""), uploads=request.FILES.getlist("files"))

        if service_call(request, file, _("Your complaint was sent to the labour inspection. You can follow it here.")):
            return redirect("complaint_detail", pk=created["complaint"].pk)
    chosen = [source.get("month")] if months.is_month(source.get("month", "")) else records.unpaid_months(worker, project)
    wanted = sorted({m for m in chosen if m})
    return render(request, "complaints/complaint_new.html", {
        "project": project, "months": wanted, "facts": records.prefill(worker, project, wanted),
        "kinds": ComplaintKind.choices, "default_kinds": [ComplaintKind.UNPAID] if wanted else []})


@require_http_methods(["GET", "POST"])
@route("complaint.record")
def complaint_record(request):
    """The labour inspection records a complaint received by phone or at the counter, in the same workflow."""
    context = {"kinds": ComplaintKind.choices, "channels": [(c, label) for c, label in Channel.choices if c in (Channel.PHONE, Channel.COUNTER)],
               "data": request.POST}
    if request.method == "POST":
        created = {}

        def record():
            project = Project.objects.visible_to(request.user).filter(code=request.POST.get("project_code", "").strip()).first()
            worker = worker_by_id_number(request.POST.get("id_number", "")) if request.POST.get("id_number") else None
            if project is None:
                raise ServiceError("not_found", _("No project with this code was found."), "project_code")
            created["complaint"] = services.complaint_file(
                actor=request.user, project=project, worker=worker, channel=request.POST.get("channel", Channel.PHONE),
                kinds=request.POST.getlist("kinds"), months_claimed=[m for m in request.POST.getlist("months") if m],
                text=request.POST.get("text", ""))

        if service_call(request, record, _("Recorded.")):
            return redirect("complaint_detail", pk=created["complaint"].pk)
    return render(request, "complaints/record.html", context)


def _filters(request) -> selectors.Filters:
    status = request.GET.get("status", "active")
    return selectors.Filters(status if status in ("active", "closed", "all", *ComplaintStatus.values) else "active")


@require_safe
@route("complaints.view")
def inbox(request):
    filters = _filters(request)
    return render(request, "complaints/inbox.html", {
        "page": Paginator(selectors.complaint_list(user=request.user, filters=filters), 50).get_page(request.GET.get("page")),
        "filters": filters, "statuses": ComplaintStatus.choices, "may_record": access.is_official(request.user, "hrss")})


@require_safe
@route("signed_in", pk=Complaint)
def detail(request, pk: int):
    complaint = selectors.complaint_get(user=request.user, pk=pk)
    user = request.user
    enterprise = access.is_enterprise_staff(user)
    sees_worker = access.sees_personal_data(user) and not enterprise
    phone = (complaint.worker.phone if complaint.worker_id else complaint.complainant_phone) if sees_worker else ""
    return render(request, "complaints/detail.html", {
        "complaint": complaint, "history": selectors.history(complaint),
        # The employer named sees what it must answer, not what would tell it who complained (the worker's facts,
        # the screening's amounts and card tails, the worker's files).
        "sees_worker": sees_worker, "sees_records": not enterprise, "phone": mask_phone(phone) if phone else "",
        "is_worker": access.is_worker(user),
        "steps": [s for s in services.TRANSITIONS if complaint.status in services.TRANSITIONS[s][0]]
        if access.can(user, "complaint.handle", complaint) else [],
        "may_answer": access.can(user, "complaint.answer", complaint) and complaint.is_open})


STEP_NAMES = {str(step.value): step for step in services.TRANSITIONS}


@require_POST
@route("complaint.{step}", pk=Complaint, step=sorted(STEP_NAMES) + ["answer"])
def step(request, pk: int, step: str):
    complaint = selectors.complaint_get(user=request.user, pk=pk)
    if step == "answer":
        access.require(request.user, "complaint.answer", complaint)
        service_call(request, lambda: services.complaint_answer(actor=request.user, complaint=complaint, note=request.POST.get("note", ""),
                                                                attachment=request.FILES.get("attachment")), _("Recorded."))
    elif step in STEP_NAMES:
        access.require(request.user, "complaint.handle", complaint)
        service_call(request, lambda: services.complaint_step(actor=request.user, complaint=complaint, step=step,
                                                              note=request.POST.get("note", "")), _("Recorded."))
    else:
        raise Http404("step")
    return redirect("complaint_detail", pk=pk)


@require_safe
@route("signed_in", pk=ComplaintAction)
def attachment(request, pk: int):
    action = selectors.attachment_get(user=request.user, pk=pk)
    return files.serve(action.attachment, action.attachment_type or "application/octet-stream",
                       f"complaint-{action.complaint_id}-{action.pk}{files.EXTENSION.get(action.attachment_type, '')}")

