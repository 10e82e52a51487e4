"""Console pages for dedicated accounts (read-only: bank data comes only from the banks' feed) and wage
deposits (movements and certificate reviews through the services)."""
from __future__ import annotations

import datetime

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from wageguard.core import clock, files
from wageguard.core import access
from wageguard.core.access import route
from wageguard.core.http import service_call
from wageguard.core.errors import ACCESS_ERRORS, ServiceError
from wageguard.core.models import Role
from wageguard.core.xlsx import download, new_sheet, to_bytes

from . import selectors, services
from .deposits import deposit_state
from .models import CertificateKind, DepositCertificate, DepositForm, MovementKind, TransactionPurpose, WageAccount, WageDeposit

EXPORT_HEADERS = ["银行流水号", "顺序号", "记账时间", "金额（元）", "用途", "交易对手", "对手账号", "交易后余额（元）"]


def _date(value: str) -> datetime.date | None:
    try:
        return datetime.date.fromisoformat(value) if value else None
    except ValueError:
        return None


def _filters(request) -> selectors.TransactionFilters:
    purpose = request.GET.get("purpose", "")
    return selectors.TransactionFilters(purpose=purpose if purpose in TransactionPurpose.values else "",
                                        date_from=_date(request.GET.get("from", "")), date_to=_date(request.GET.get("to", "")))


@require_safe
@route("accounts.view")
def account_list(request):
    page = Paginator(selectors.accounts_for(request.user), 50).get_page(request.GET.get("page"))
    return render(request, "accounts/list.html", {"page": page})


@require_safe
@route("accounts.view", pk=WageAccount)
def account_detail(request, pk: int):
    account = selectors.account_get(user=request.user, pk=pk)
    filters = _filters(request)
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "accounts/detail.html", {
        "account": account, "filters": filters, "purposes": TransactionPurpose.choices, "querystring": query.urlencode(),
        "page": Paginator(selectors.transactions(account=account, filters=filters), 50).get_page(request.GET.get("page")),
        "balances": selectors.balance_series(account=account),
        "may_unmask": access.may_unmask(request.user),
        "may_confirm": account.confirmed_at is None and access.can(request.user, "account.confirm", account),
        "allocations": selectors.allocation_by_month(account=account),
        "issues": account.data_issues.filter(resolved_at__isnull=True),
        "may_report_progress": request.user.is_platform_admin or (
            request.user.role == Role.ENTERPRISE_ADMIN
            and request.user.enterprise_id in (account.project.owner_id, account.project.general_contractor_id)),
    })


@require_safe
@route("accounts.view", pk=WageAccount)
def transactions_export(request, pk: int):
    account = selectors.account_get(user=request.user, pk=pk)
    unmasked = request.GET.get("unmasked") == "1" and access.may_unmask(request.user)
    if unmasked:
        services.transactions_export_record(actor=request.user, account=account)
    workbook, sheet = new_sheet(EXPORT_HEADERS, "专户流水")
    labels = dict(TransactionPurpose.choices)
    for t in selectors.transactions(account=account, filters=_filters(request)).order_by("sequence"):
        sheet.append([t.bank_txn_id, t.sequence, t.booked_at.astimezone().strftime("%Y-%m-%d %H:%M"), t.amount, str(labels[t.purpose]),
                      t.counterparty_name if unmasked else t.counterparty_name_masked,
                      t.counterparty_account if unmasked else t.counterparty_account_masked, t.balance_after])
    return download(to_bytes(workbook), f"account-{account.number}.xlsx")


@require_safe
@route("bank.console")
def bank_home(request):
    """A bank operator's console: its accounts, what its systems pushed, what was rejected and why."""
    if request.user.role != Role.BANK_OPERATOR or not request.user.bank_code:
        raise Http404
    return render(request, "accounts/bank_home.html", {
        "accounts": selectors.accounts_for(request.user)[:200],
        "batches": selectors.bank_batches(bank_code=request.user.bank_code),
    })


# ---------------------------------------------------------------- wage deposits

@require_safe
@route("deposits.view")
def deposit_list(request):
    today = clock.localdate()
    page = Paginator(selectors.deposits_for(request.user), 50).get_page(request.GET.get("page"))
    for deposit in page:
        deposit.state = deposit_state(deposit, today)
    return render(request, "accounts/deposit_list.html", {"page": page})


@require_safe
@route("deposits.view", pk=WageDeposit)
def deposit_detail(request, pk: int):
    deposit = selectors.deposit_get(user=request.user, pk=pk)
    return render(request, "accounts/deposit_detail.html", {
        "deposit": deposit, "state": deposit_state(deposit, clock.localdate()),
        "movement_kinds": MovementKind.choices, "forms": DepositForm.choices, "certificate_kinds": CertificateKind.choices,
        "is_hrss": request.user.is_platform_admin or (request.user.department_id and request.user.department.agency == "hrss"),
        "is_contractor": request.user.enterprise_id == deposit.project.general_contractor_id and request.user.role == Role.ENTERPRISE_ADMIN,
    })


def _act(request, pk: int, action) -> HttpResponse:
    deposit = selectors.deposit_get(user=request.user, pk=pk)
    try:
        action(deposit)
    except ACCESS_ERRORS:
        raise
    except ServiceError as error:
        messages.error(request, str(error.message))
    else:
        messages.success(request, _("Saved."))
    return redirect("deposit_detail", pk=deposit.pk)


@require_POST
@route("deposit.movement", pk=WageDeposit)
def deposit_movement(request, pk: int):
    return _act(request, pk, lambda d: services.deposit_movement_record(
        actor=request.user, deposit=d, kind=request.POST.get("kind", ""), amount=request.POST.get("amount"),
        on=_date(request.POST.get("on", "")) or clock.localdate(), form=request.POST.get("form", DepositForm.CASH),
        note=request.POST.get("note", "")))


@require_POST
@route("certificate.upload", pk=WageDeposit)
def deposit_certificate_upload(request, pk: int):
    deposit = selectors.deposit_get(user=request.user, pk=pk)
    access.require(request.user, "certificate.upload", deposit)
    upload = request.FILES.get("file")
    if upload is None:
        messages.error(request, _("Choose the certificate file."))
        return redirect("deposit_detail", pk=deposit.pk)
    amount = request.POST.get("amount") or None
    return _act(request, pk, lambda d: services.certificate_upload(actor=request.user, deposit=d, kind=request.POST.get("kind", ""),
                                                                    upload=upload, amount=amount))


@require_POST
@route("certificate.review", pk=WageDeposit, certificate_pk=DepositCertificate)
def deposit_certificate_review(request, pk: int, certificate_pk: int):
    def review(deposit):
        certificate = deposit.certificates.filter(pk=certificate_pk).first()
        if certificate is None:
            raise Http404
        services.certificate_review(actor=request.user, certificate=certificate, approve=request.POST.get("decision") == "approve",
                                    reason=request.POST.get("reason", ""))
    return _act(request, pk, review)


@require_safe
@route("deposits.view", pk=WageDeposit, certificate_pk=DepositCertificate)
def deposit_certificate_file(request, pk: int, certificate_pk: int):
    deposit = selectors.deposit_get(user=request.user, pk=pk)
    certificate = deposit.certificates.filter(pk=certificate_pk).first()
    if certificate is None:
        raise Http404
    return files.serve(certificate.file, certificate.file_type, f"certificate-{deposit.project.code}-{certificate.pk}{files.EXTENSION[certificate.file_type]}")


@require_POST
@route("account.confirm", pk=WageAccount)
@require_POST
def account_confirm(request, pk: int):
    """The general contractor (or the department) confirms the account a bank reported is the project's own."""
    account = selectors.account_get(user=request.user, pk=pk)
    access.require(request.user, "account.confirm", account)
    service_call(request, lambda: services.account_confirm(actor=request.user, account=account),
                 _("The account is confirmed: the project's wage ledgers go to this bank."))
    return redirect("account_detail", pk=account.pk)


@route("progress.record", pk=WageAccount)
def progress_payment(request, pk: int):
    """The owner or general contractor records a month's progress payment (the basis of the expected allocation)."""
    account = selectors.account_get(user=request.user, pk=pk)
    try:
        services.progress_payment_record(actor=request.user, project=account.project, month=request.POST.get("month", "").strip(),
                                         amount=request.POST.get("amount"))
    except ACCESS_ERRORS:
        raise
    except ServiceError as error:
        messages.error(request, str(error.message))
    else:
        messages.success(request, _("Saved."))
    return redirect("account_detail", pk=account.pk)
