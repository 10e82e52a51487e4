"""Console pages of payroll: the disbursement table, a ledger with its lines and workflow, reconciliation, and the
worker's payslips. Every change goes through payroll.services; every read through payroll.selectors."""
from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from wageguard.core import access, months
from wageguard.core.access import route
from wageguard.core.errors import ACCESS_ERRORS, ServiceError
from wageguard.core.models import Industry
from wageguard.core.xlsx import download
from wageguard.registry.models import Project

from . import excel, ledger, selectors, services
from .models import Payroll, PayrollLine, PayrollStatus, ResultStatus

STEPS = ("rebuild", "submit", "confirm", "return")
LINE_STEPS = ("adjust", "warning", "reissue")


def _filters(request) -> selectors.DisbursementFilters:
    month = request.GET.get("month", "")
    status = request.GET.get("status", "")
    industry = request.GET.get("industry", "")
    return selectors.DisbursementFilters(
        region=request.GET.get("region", "").strip(), month=month if months.is_month(month) else "",
        status=status if status in PayrollStatus.values else "", industry=industry if industry in Industry.values else "",
        q=request.GET.get("q", "").strip())


def _run(request, action, success: str) -> None:
    try:
        action()
    except ACCESS_ERRORS:
        raise
    except ServiceError as error:
        messages.error(request, str(error.message))
    else:
        messages.success(request, success)


@require_safe
@route("payroll.view")
def payroll_list(request):
    filters = _filters(request)
    query = request.GET.copy()
    query.pop("page", None)
    rows = selectors.disbursement_table(user=request.user, filters=filters)
    return render(request, "payroll/list.html", {
        "page": Paginator(rows, 50).get_page(request.GET.get("page")), "filters": filters, "querystring": query.urlencode(),
        "statuses": PayrollStatus.choices, "industries": Industry.choices,
        "projects_to_prepare": selectors.projects_to_prepare(user=request.user),
    })


@require_safe
@route("payroll.view")
def payroll_export(request):
    rows = selectors.disbursement_table(user=request.user, filters=_filters(request))
    return download(excel.disbursement_table(rows), "disbursements.xlsx")


@require_POST
@route("payroll.prepare")
def payroll_build(request):
    project = selectors.projects_to_prepare(user=request.user).filter(pk=request.POST.get("project") or 0).first()
    if project is None:
        raise Http404("project")
    try:
        payroll = services.payroll_build(actor=request.user, project=project, enterprise=request.user.enterprise,
                                         month=request.POST.get("month", ""))
    except ACCESS_ERRORS:
        raise
    except ServiceError as error:
        messages.error(request, str(error.message))
        return redirect("payroll_list")
    messages.success(request, _("Ledger built."))
    return redirect("payroll_detail", pk=payroll.pk)


@require_safe
@route("payroll.view", pk=Payroll)
def payroll_detail(request, pk: int):
    payroll = selectors.payroll_get(user=request.user, pk=pk)
    lines = list(selectors.lines(user=request.user, payroll=payroll))
    return render(request, "payroll/detail.html", {
        "payroll": payroll, "lines": lines, "sees_lines": selectors.sees_lines(request.user),
        "may_prepare": access.can(request.user, "payroll.prepare", payroll),
        "may_confirm": access.can(request.user, "payroll.confirm", payroll),
        "blocked": sum(1 for line in lines if ledger.blocking(line) and not getattr(line, "superseded", False)),
        "result_failed": ResultStatus.FAILED,
    })


@require_POST
@route("payroll.{step}", pk=Payroll, step=STEPS)
def payroll_step(request, pk: int, step: str):
    payroll = selectors.payroll_get(user=request.user, pk=pk)
    actions = {
        "rebuild": (lambda: services.payroll_build(actor=request.user, project=payroll.project, enterprise=payroll.enterprise,
                                                   month=payroll.month), _("Ledger rebuilt.")),
        "submit": (lambda: services.payroll_submit(actor=request.user, payroll=payroll), _("Ledger submitted.")),
        "confirm": (lambda: services.payroll_confirm(actor=request.user, payroll=payroll), _("Ledger confirmed for the bank.")),
        "return": (lambda: services.payroll_return(actor=request.user, payroll=payroll, reason=request.POST.get("reason", "")),
                   _("Ledger returned.")),
    }
    if step not in actions:
        raise Http404("step")
    _run(request, *actions[step])
    return redirect("payroll_detail", pk=payroll.pk)


def parse_deductions(text: str) -> list[dict]:
    """One deduction per line, “reason amount” (e.g. “借支 200”); an amount that is not a number is refused."""
    items = []
    for n, row in enumerate(r.strip() for r in (text or "").splitlines()):
        if not row:
            continue
        reason, _sep, amount = row.replace("：", " ").replace(":", " ").rpartition(" ")
        try:
            Decimal(amount)
        except InvalidOperation:
            raise ServiceError("invalid_money", _("Write each deduction as “reason amount”, e.g. “借支 200”."), f"deductions[{n}]")
        items.append({"reason": reason.strip(), "amount": amount})
    return items


@require_POST
@route("line.{step}", pk=PayrollLine, step=LINE_STEPS)
def line_step(request, pk: int, step: str):
    line = selectors.line_get(user=request.user, pk=pk)
    post = request.POST
    reason = post.get("reason", "")

    def adjust():
        days = post.get("days_claimed", "").strip()
        services.line_adjust(actor=request.user, line=line, reason=reason, days_claimed=int(days) if days.isdigit() else None,
                             quantity=post.get("quantity") or None,
                             deductions=parse_deductions(post["deductions"]) if "deductions" in post else None)

    actions = {
        "adjust": (adjust, _("Line adjusted.")),
        "warning": (lambda: services.warning_reason_give(actor=request.user, line=line, check=post.get("check", ""), reason=reason),
                    _("Reason recorded.")),
        "reissue": (lambda: services.line_reissue(actor=request.user, line=line, reason=reason, card=post.get("card", "").strip() or None),
                    _("Payment re-issued to the bank.")),
    }
    if step not in actions:
        raise Http404("step")
    _run(request, *actions[step])
    return redirect("payroll_detail", pk=line.payroll_id)


@require_safe
@route("payroll.view", pk=Payroll)
def ledger_export(request, pk: int):
    payroll = selectors.payroll_get(user=request.user, pk=pk)
    if not selectors.sees_lines(request.user):
        raise Http404("lines")
    unmasked = request.GET.get("unmasked") == "1" and request.user.has_perm("core.unmask_pii")
    if unmasked:
        services.ledger_export_record(actor=request.user, payroll=payroll)
    content = excel.statutory_ledger(payroll, selectors.lines(user=request.user, payroll=payroll), unmasked=unmasked)
    return download(content, f"ledger-{payroll.project.code}-{payroll.month}-{payroll.pk}.xlsx")


@require_safe
@route("payroll.view", project_pk=Project, month=lambda objects: objects["payroll.payroll"].month)
def reconciliation(request, project_pk: int, month: str):
    if not months.is_month(month):
        raise Http404("month")
    return render(request, "payroll/reconciliation.html", {
        "report": selectors.reconciliation(user=request.user, project_pk=project_pk, month=month)})


@require_safe
@route("payslips.view")
def payslips(request):
    return render(request, "payroll/payslips.html", {"lines": selectors.payslips(user=request.user)[:36]})
