"""Reads of accounts. A bank sees its own accounts only."""
from __future__ import annotations

from django.db.models import Prefetch, QuerySet

from .models import Bank, BankDataIssue, WageAccount


def bank_accounts(*, bank: Bank) -> QuerySet[WageAccount]:
    return (WageAccount.objects.filter(bank=bank).select_related("project", "holder").order_by("number")
            .prefetch_related(Prefetch("data_issues", queryset=BankDataIssue.objects.filter(resolved_at__isnull=True),
                                       to_attr="open_issues")))
