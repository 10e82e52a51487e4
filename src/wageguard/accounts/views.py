"""Console pages for dedicated accounts: read-only (bank data comes only from the banks' feed)."""
from __future__ import annotations

import datetime
import json

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe

from wageguard.core.models import Role
from wageguard.core.xlsx import new_sheet, to_bytes

from . import selectors
from .models import TransactionPurpose

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
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
@login_required
def account_list(request):
    page = Paginator(selectors.accounts_for(request.user), 50).get_page(request.GET.get("page"))
    return render(request, "accounts/list.html", {"page": page})


@require_safe
@login_required
def account_detail(request, pk: int):
    account = selectors.account_get(user=request.user, pk=pk)
    filters = _filters(request)
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "accounts/detail.html", {
        "account": account, "filters": filters, "purposes": TransactionPurpose.choices, "querystring": query.urlencode(),
        "page": Paginator(selectors.transactions(account=account, filters=filters), 50).get_page(request.GET.get("page")),
        "balances_json": json.dumps(selectors.balance_series(account=account)),
        "allocations": selectors.allocation_by_month(account=account),
        "issues": account.data_issues.filter(resolved_at__isnull=True),
    })


@require_safe
@login_required
def transactions_export(request, pk: int):
    account = selectors.account_get(user=request.user, pk=pk)
    workbook, sheet = new_sheet(EXPORT_HEADERS, "专户流水")
    labels = dict(TransactionPurpose.choices)
    for t in selectors.transactions(account=account, filters=_filters(request)).order_by("sequence"):
        sheet.append([t.bank_txn_id, t.sequence, t.booked_at.astimezone().strftime("%Y-%m-%d %H:%M"), t.amount, str(labels[t.purpose]),
                      t.counterparty_name, t.counterparty_account, t.balance_after])
    response = HttpResponse(to_bytes(workbook), content_type=XLSX)
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''account-{account.number}.xlsx"
    return response


@require_safe
@login_required
def bank_home(request):
    """A bank operator's console: its accounts, what its systems pushed, what was rejected and why."""
    if request.user.role != Role.BANK_OPERATOR or not request.user.bank_code:
        raise Http404
    return render(request, "accounts/bank_home.html", {
        "accounts": selectors.accounts_for(request.user)[:200],
        "batches": selectors.bank_batches(bank_code=request.user.bank_code),
    })
