"""The public pages (no sign-in, rate-limited by the middleware, phone-sized): the published lists with search,
each entry with its basis, period and deciding department; the same lists as JSON and CSV for other departments'
systems (joint punishment) and as Excel.

An entry shows what the published decision contains and nothing more: the party's name (and an enterprise's
USCC), the facts, the basis, the document, the department, the dates. A person's ID number is never shown, and
any long run of digits in the free text (an ID, card or phone number typed into the facts) is masked.
"""
from __future__ import annotations

import csv
import io
import re

from django.core.paginator import Paginator
from django.http import HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from wageguard.core import clock
from wageguard.core.access import public
from wageguard.core.xlsx import FORMULA_STARTS, download, new_sheet, to_bytes

from . import selectors
from .models import PUBLIC_KINDS, CreditRecord, RecordKind

LONG_NUMBER = re.compile(r"\d[\d\s-]{9,}[\dXx]")
FEED_FIELDS = ("id", "kind", "kind_name", "party", "uscc", "region", "department", "facts", "legal_basis", "decision_document",
               "decided_on", "published_on", "removal_on", "amount")


def redact(text: str) -> str:
    """Free text as published: a run of 11 or more digits (ID, card, phone) keeps only its first and last two."""
    return LONG_NUMBER.sub(lambda m: m.group(0)[:2] + "*" * (len(m.group(0)) - 4) + m.group(0)[-2:], text or "")


def entry(record: CreditRecord) -> dict:
    """One published entry, as every public view gives it."""
    region = record.department.region
    return {
        "id": record.pk, "kind": record.kind, "kind_name": str(RecordKind(record.kind).label),
        "party": record.enterprise.name if record.enterprise_id else record.person_name,
        "uscc": record.enterprise.uscc if record.enterprise_id else "",
        "region": region.full_name, "department": str(record.department),
        "facts": redact(record.facts), "legal_basis": redact(record.legal_basis), "decision_document": redact(record.decision_document),
        "decided_on": record.decided_on.isoformat() if record.decided_on else "",
        "published_on": record.published_on.isoformat(), "removal_on": record.removal_on.isoformat(),
        "amount": str(record.amount) if record.amount is not None else "",
    }


def _filters(request) -> selectors.PublicFilters:
    get = request.GET
    kind = get.get("kind", "")
    return selectors.PublicFilters(q=get.get("q", "")[:100], kind=kind if kind in PUBLIC_KINDS else "", region=get.get("region", "")[:6])


@require_safe
@public()
def record_list(request):
    filters = _filters(request)
    query = request.GET.copy()
    query.pop("page", None)
    page = Paginator(selectors.public_records(filters), 20).get_page(request.GET.get("page"))
    return render(request, "credit/public_list.html", {
        "page": page, "entries": [entry(r) for r in page], "filters": filters, "querystring": query.urlencode(),
        "kinds": [(k, RecordKind(k).label) for k in PUBLIC_KINDS], "regions": selectors.public_regions(), "today": clock.localdate()})


@require_safe
@public(pk=CreditRecord)
def record_detail(request, pk: int):
    return render(request, "credit/public_detail.html", {"entry": entry(selectors.public_record_get(pk))})


def _entries(request) -> list[dict]:
    return [entry(r) for r in selectors.public_records(_filters(request))[:10000]]


@require_safe
@public()
def feed_json(request):
    """The lists for other departments' systems: `{"as_of", "count", "records": [...]}` (fields as FEED_FIELDS)."""
    records = _entries(request)
    response = JsonResponse({"as_of": clock.localdate().isoformat(), "count": len(records), "records": records},
                            json_dumps_params={"ensure_ascii": False})
    response["Cache-Control"] = "no-cache"  # an entry removed on appeal must not linger in caches
    return response


@require_safe
@public()
def feed_csv(request):
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=FEED_FIELDS)
    writer.writeheader()
    for row in _entries(request):
        writer.writerow({k: _csv_safe(v) for k, v in row.items()})
    response = HttpResponse("\ufeff" + buffer.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="credit-lists.csv"'
    return response


def _csv_safe(value):
    """A cell a spreadsheet would run as a formula is quoted (CSV injection), as the Excel writer does."""
    text = str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else value


@require_safe
@public()
def export_xlsx(request):
    headers = [_("Kind"), _("Party"), _("Unified social credit code"), _("Region"), _("Deciding department"), _("Facts found"),
               _("Legal basis"), _("Decision document"), _("Decision date"), _("Published on"), _("Removal date"), _("Amount (yuan)")]
    workbook, sheet = new_sheet(headers, str(_("Published credit lists")))
    for row in _entries(request):
        sheet.append([row["kind_name"], row["party"], row["uscc"], row["region"], row["department"], row["facts"], row["legal_basis"],
                      row["decision_document"], row["decided_on"], row["published_on"], row["removal_on"], row["amount"]])
    return download(to_bytes(workbook), "credit-lists.xlsx")
