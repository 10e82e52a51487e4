"""The bank feed over the signed machine API (see docs/api.md, "Bank feed")."""
from __future__ import annotations

import json

from django.http import HttpResponse
from ninja import Router

from wageguard.exchange.auth import signed

from . import feed, selectors

router = Router(tags=["bank feed"])

BODY = {"requestBody": {"required": True, "content": {"application/json": {"schema": {"type": "object"}}}}}


def _answer(answer: dict) -> HttpResponse:
    return HttpResponse(json.dumps(answer, ensure_ascii=False), content_type="application/json")


@router.post("/bank/accounts", auth=signed, summary="Accounts opened (signed; bank clients only)", openapi_extra=BODY)
def push_accounts(request):
    return _answer(feed.push(client=request.auth, body=request.body, spec=feed.OPENED))


@router.post("/bank/account-status", auth=signed, summary="Account status changes", openapi_extra=BODY)
def push_status(request):
    return _answer(feed.push(client=request.auth, body=request.body, spec=feed.STATUS))


@router.post("/bank/transactions", auth=signed, summary="Account transactions", openapi_extra=BODY)
def push_transactions(request):
    return _answer(feed.push(client=request.auth, body=request.body, spec=feed.TRANSACTIONS))


@router.post("/bank/balances", auth=signed, summary="Daily closing balances", openapi_extra=BODY)
def push_balances(request):
    return _answer(feed.push(client=request.auth, body=request.body, spec=feed.BALANCES))


@router.get("/bank/accounts", auth=signed, summary="This bank's dedicated accounts, with open data issues")
def list_accounts(request):
    bank = feed.bank_of(request.auth)
    return {"bank": bank.code, "accounts": [
        {"account_number": a.number, "account_name": a.name, "project_code": a.project.code, "section": a.section,
         "holder_uscc": a.holder.uscc, "opened_on": a.opened_on.isoformat(), "status": a.status,
         "open_data_issues": [{"kind": i.kind, "at_sequence": i.at_sequence, "day": i.day and i.day.isoformat(),
                               "expected": i.expected, "found": i.found} for i in a.open_issues]}
        for a in selectors.bank_accounts(bank=bank)
    ]}

