"""The bank's payroll endpoints over the signed machine API (see docs/api.md, "Bank disbursement")."""
from __future__ import annotations

from ninja import Router

from wageguard.accounts.api import BODY, _answer
from wageguard.exchange.auth import signed

from .bank import fetch_confirmed, post_results, post_verifications

router = Router(tags=["bank feed"])


@router.get("/bank/payrolls", auth=signed, summary="Confirmed wage ledgers addressed to this bank (marked fetched)")
def fetch_payrolls(request, include_fetched: bool = False):
    return {"payrolls": fetch_confirmed(client=request.auth, include_fetched=include_fetched)}


@router.post("/bank/payroll-results", auth=signed, summary="Per-line results of a disbursement", openapi_extra=BODY)
def push_payroll_results(request):
    return _answer(post_results(client=request.auth, body=request.body))


@router.post("/bank/card-verifications", auth=signed,
             summary="The card holder of each line, as the bank's account-name check finds it (before paying)", openapi_extra=BODY)
def push_card_verifications(request):
    return _answer(post_verifications(client=request.auth, body=request.body))
