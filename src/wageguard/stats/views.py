"""The statistics pages: an official's area by region × industry × month (map, trend, ranking, every number a
link to the projects behind it, the same in Excel), the command room's big screen. They read the rollups
through stats.selectors (scoped), from the read replica when there is one."""
from __future__ import annotations

from django import forms
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import content_disposition_header, urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_safe

from wageguard.core import access, clock, months
from wageguard.core import rules as thresholds
from wageguard.core.access import route
from wageguard.core.http import service_call
from wageguard.core.dbrouter import reads_from_replica
from wageguard.core.errors import NotFound
from wageguard.core.models import Industry
from wageguard.core.xlsx import add_sheet, download, new_sheet, to_bytes

from . import selectors, services
from .indicators import INDICATORS, MEASURE_LABELS, MONEY_MEASURES, coverage_target, rank_among, shown
from .models import MonthlyReport
from .rollup import window


def _month(request) -> str:
    month = request.GET.get("month", "")
    first, last = window()
    if not month:
        return months.previous(last)  # the last month that has ended
    if not months.is_month(month) or not first <= month <= last:
        raise NotFound(_("No statistics for this month."))
    return month


def _indicator(request, area) -> str:
    code = request.GET.get("indicator", "coverage")
    return code if code in INDICATORS and not _hides(area, code) else "coverage"


def _hides(area, code: str) -> bool:
    indicator = INDICATORS[code]
    return indicator.numerator in area.hidden or indicator.denominator in area.hidden


def _params(area: selectors.Area, month: str, **more) -> dict:
    params = {"region": area.region.code, "month": month}
    if len(area.industries) == 1:
        params["industry"] = area.industries[0]
    return params | more


def _behind_url(area, month: str, measure: str) -> str:
    return reverse("stats_projects") + "?" + urlencode(_params(area, month, measure=measure))


def cards(area: selectors.Area, month: str, counts: dict) -> list[dict]:
    values = selectors.indicator_values(counts, month)
    found = []
    for code, indicator in INDICATORS.items():
        if _hides(area, code):
            continue
        card = {"code": code, "label": indicator.label, "definition": indicator.definition, "value": shown(code, values[code]),
                "numerator": {"label": MEASURE_LABELS[indicator.numerator], "count": counts[indicator.numerator],
                              "url": _behind_url(area, month, indicator.numerator)}}
        if indicator.denominator:
            card["denominator"] = {"label": MEASURE_LABELS[indicator.denominator], "count": counts[indicator.denominator],
                                   "url": _behind_url(area, month, indicator.denominator)}
        if code == "coverage":
            share, deadline = coverage_target(month)
            card["target"] = _("target %(share)s%% by %(day)s") % {"share": f"{share * 100:.0f}", "day": deadline.isoformat()}
            card["below_target"] = values[code] is not None and values[code] < share
        found.append(card)
    return found


def ranking(area: selectors.Area, month: str, code: str, level: str = "", cell_rows: list[dict] | None = None) -> list[dict]:
    indicator = INDICATORS[code]
    rows = []
    for region, counts in selectors.children(area, month, level, cell_rows):
        value = selectors.indicator_values(counts, month)[code]
        # the province's counties carry their city's name: 市中区 is in three cities
        name = region.parent.name + region.name if region.parent_id != area.region.pk else region.name
        rows.append({"region": region, "name": name, "value": value, "shown": shown(code, value), "counts": counts,
                     "url": reverse("stats_overview") + "?" + urlencode(_params(selectors.Area(region, area.industries), month, indicator=code))})
    ordered = sorted((r for r in rows if r["value"] is not None), key=lambda r: r["value"], reverse=indicator.higher_is_better)
    for row in ordered:
        row["rank"] = rank_among([r["value"] for r in ordered], row["value"], indicator.higher_is_better)[0]
    return ordered + [r for r in rows if r["value"] is None]


def overview_context(request) -> dict:
    area = selectors.area_for(request.user, request.GET.get("region", ""), request.GET.get("industry", ""))
    month = _month(request)
    code = _indicator(request, area)
    indicator = INDICATORS[code]
    counts = selectors.totals(area, month)
    cell_rows = selectors.cell_rows(area, month)  # one read for the map's level and the ranking's
    rows = ranking(area, month, code, cell_rows=cell_rows)  # the map's regions: the level just below
    rank = request.GET.get("rank", "")
    ranked = (ranking(area, month, code, rank, cell_rows) if rank in selectors.rank_levels(area) and rank != area.child_level
              else rows)
    trend = [(m, selectors.indicator_values(c, m)[code]) for m, c in selectors.trend(area, month)]
    as_share = bool(indicator.denominator)
    series = [{"name": r["region"].name, "code": r["region"].code, "value": (float(r["value"] * 100) if as_share else float(r["value"]))
               if r["value"] is not None else None} for r in rows]
    if area.region.level == "province":  # the province's outline map still draws 莱芜市: Jinan's figures
        series += [{"name": "莱芜市", "code": "370100", "value": s["value"]} for s in series if s["code"] == "370100"]
    first, last = window()
    return {
        "area": area, "month": month, "indicator": indicator, "code": code, "cards": cards(area, month, counts), "rows": rows, "ranked": ranked,
        "rank": rank if ranked is not rows else "", "rank_levels": selectors.rank_levels(area),
        "series": series, "trend": {"months": [m for m, _v in trend],
                                    "values": [None if v is None else float(v * 100 if as_share else v) for _m, v in trend]},
        "as_share": as_share, "indicators": [(c, i) for c, i in INDICATORS.items() if not _hides(area, c)], "months": list(reversed(months.span(months.first_day(first), months.first_day(last)))),
        "industries": [(i, Industry(i).label) for i in selectors.industries_of(request.user)],
        "industry": request.GET.get("industry", ""), "map_city": area.region.code if area.region.level == "city" else "",
        "breadcrumb": _breadcrumb(area), "senders": selectors.senders(area, month)[:50],
    }


def _breadcrumb(area: selectors.Area) -> list:
    trail, region = [], area.region
    while region is not None:
        trail.append(region)
        region = region.parent
    return list(reversed(trail))


@require_safe
@route("stats.view")
@reads_from_replica
def overview(request):
    context = overview_context(request)
    if request.GET.get("format") == "xlsx":
        return _overview_xlsx(context)
    return render(request, "stats/overview.html", context)


def _overview_xlsx(context: dict):
    area, month = context["area"], context["month"]
    headers = [_("Indicator"), _("Value"), _("Numerator"), _("Count"), _("Denominator"), _("Count"), _("Definition")]
    workbook, sheet = new_sheet(headers, _("Indicators"))
    for card in context["cards"]:
        den = card.get("denominator") or {}
        sheet.append([str(card["label"]), card["value"], str(card["numerator"]["label"]), card["numerator"]["count"],
                      str(den.get("label", "")), den.get("count", ""), str(card["definition"])])
    if context["ranked"]:
        ranking_sheet = add_sheet(workbook, _("Ranking"))
        measures = [m for m in MEASURE_LABELS if m not in area.hidden]
        ranking_sheet.append([_("Rank"), _("Region"), str(context["indicator"].label)] + [str(MEASURE_LABELS[m]) for m in measures])
        for row in context["ranked"]:
            ranking_sheet.append([row.get("rank", ""), row["name"], row["shown"]] + [row["counts"][m] for m in measures])
    return download(to_bytes(workbook), f"统计-{area.region.name}-{month}.xlsx")


@require_safe
@route("stats.view")
@reads_from_replica
def projects(request):
    """The projects behind a number: their month rows whose measure is not zero; they add up to the number."""
    area = selectors.area_for(request.user, request.GET.get("region", ""), request.GET.get("industry", ""))
    month = _month(request)
    measure = request.GET.get("measure", "")
    rows = selectors.behind_rows(user=request.user, area=area, month=month, measure=measure)
    if request.GET.get("format") == "xlsx":
        behind = selectors.as_behind(rows, measure)
        workbook, sheet = new_sheet([_("Project code"), _("Project name"), _("County"), _("Industry"), str(MEASURE_LABELS[measure])],
                                    str(MEASURE_LABELS[measure])[:30])
        for b in behind:
            sheet.append([b.project.code, b.project.name, b.county, b.project.get_industry_display(), b.value])
        sheet.append(["", _("Total"), "", "", selectors.behind_total(rows, measure)[1]])
        return download(to_bytes(workbook), f"统计明细-{area.region.name}-{month}-{measure}.xlsx")
    count, total = selectors.behind_total(rows, measure)
    paginator = Paginator(rows, 100)
    paginator.count = count  # counted with the total above: the paginator need not count again
    page = paginator.get_page(request.GET.get("page"))  # only the page's rows are read
    page.object_list = selectors.as_behind(page.object_list, measure)
    return render(request, "stats/projects.html", {
        "area": area, "month": month, "measure": measure, "label": MEASURE_LABELS[measure],
        "total": total, "count": count,
        "page": page, "querystring": _without_page(request),
        "money": measure in MONEY_MEASURES, "xlsx": request.get_full_path() + "&format=xlsx",
        "back": reverse("stats_overview") + "?" + urlencode(_params(area, month))})


@require_safe
@route("stats.view")
@reads_from_replica
def screen(request):
    """大屏: the command room's 1920 × 1080 view of the official's area, refreshed every five minutes."""
    context = overview_context(request)
    context["headline"] = [c for c in context["cards"] if c["code"] in
                           ("coverage", "accounts", "contracts", "real_name", "attendance", "bank_disbursement", "arrears", "alerts_in_time")]
    months_counts = selectors.trend(context["area"], context["month"])  # one read for the three lines
    context["trends"] = {code: [None if v is None else float(v * 100) for v in
                                (selectors.indicator_values(c, m)[code] for m, c in months_counts)]
                         for code in ("coverage", "bank_disbursement", "real_name")}
    return render(request, "stats/screen.html", context)


def _without_page(request) -> str:
    query = request.GET.copy()
    query.pop("page", None)
    return query.urlencode()


# ---------------------------------------------------------------- monthly reports


class GenerateForm(forms.Form):
    month = forms.CharField(max_length=7)


@require_http_methods(["GET", "POST"])
@route("stats.view")
@reads_from_replica
def report_list(request):
    form = GenerateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        month = form.cleaned_data["month"]
        if service_call(request, lambda: services.reports_generate(actor=request.user, month=month),
                        _("The reports of %(month)s were generated.") % {"month": month}):
            return redirect("stats_reports")
    page = Paginator(selectors.reports(user=request.user), 50).get_page(request.GET.get("page"))
    first, last = window()
    return render(request, "stats/reports.html", {
        "page": page, "form": form, "may_generate": access.can(request.user, "stats.reports_generate", request.user),
        "months": list(reversed(months.span(months.first_day(first), months.first_day(months.previous(last)))))})


@require_safe
@route("stats.view", pk=MonthlyReport, kind=["xlsx", "pdf"])
@reads_from_replica
def report_download(request, pk: int, kind: str):
    if kind not in ("xlsx", "pdf"):
        raise NotFound()
    report = selectors.report_get(user=request.user, pk=pk)
    name = f"通报-{report.region.name}-{report.month}" + (f"-第{report.version}版" if report.version > 1 else "")
    if kind == "xlsx":
        return download(bytes(report.xlsx), f"{name}.xlsx")
    response = HttpResponse(bytes(report.pdf), content_type="application/pdf")
    response["Content-Disposition"] = content_disposition_header(False, f"{name}.pdf")
    return response


# ---------------------------------------------------------------- forecast


@require_safe
@route("stats.view")
@reads_from_replica
def risk(request):
    """预警预测: the area's projects by their risk of arrears next month, each score explained by its signals."""
    area = selectors.area_for(request.user, request.GET.get("region", ""), request.GET.get("industry", ""))
    month = request.GET.get("month") or months.previous(months.of(clock.localdate()))
    if not months.is_month(month):
        raise NotFound(_("No statistics for this month."))
    rows = selectors.risk_list(user=request.user, area=area, month=month)
    limit = thresholds.value("forecast.alert_score", area.region)
    at_risk = selectors.risk_count(area=area, month=month, limit=limit)
    labels = dict(SIGNAL_LABELS)
    shown_rows = [{"score": s, "project": p, "high": s.score >= limit,
                   "parts": sorted(((labels[k], v["points"]) for k, v in s.parts.items() if v["points"]), key=lambda x: -x[1])} for s, p in rows]
    return render(request, "stats/risk.html", {"area": area, "month": month, "rows": shown_rows, "limit": limit, "at_risk": at_risk})


SIGNAL_LABELS = (
    ("arrears_before", gettext_lazy("the month before not fully paid")), ("attendance_falling", gettext_lazy("attendance falling")),
    ("ledger_missing", gettext_lazy("no wage ledger for a month with workers")), ("alerts_recent", gettext_lazy("recent alerts")),
    ("complaints", gettext_lazy("recent complaints")), ("credit", gettext_lazy("the general contractor's credit")),
    ("no_account", gettext_lazy("no dedicated account")), ("labour_cost_short", gettext_lazy("labour cost not allocated in full")),
    ("bank_failures", gettext_lazy("lines the bank could not pay")), ("balance_falling", gettext_lazy("account balance falling")),
)


# ---------------------------------------------------------------- an enterprise's data quality


@require_safe
@route("quality.report")
@reads_from_replica
def quality(request):
    """Each enterprise's own data-quality report: data late, missing and rejected, of every kind, by project,
    over the last three months (officials: any enterprise of their scope, by its credit code)."""
    enterprise = selectors.quality_enterprise(user=request.user, uscc=request.GET.get("uscc", ""))
    last = months.of(clock.localdate())
    first = months.shift(last, -2)
    rows = selectors.quality_rows(selectors.quality_projects(user=request.user, enterprise_id=enterprise.pk), first, last) if enterprise else []
    if enterprise and request.GET.get("format") == "xlsx":
        workbook, sheet = new_sheet([_("Project code"), _("Project name"), _("Attendance records"), _("late"), _("rejected"),
                                     _("Worker-months without a contract"), _("Worker-months without an ID-card reading"),
                                     _("Awaiting a card reading"), _("Months without a wage ledger"), _("Lines the bank could not pay"),
                                     _("Bank records late"), _("Bank data issues"), _("Months labour cost short")], _("Data quality"))
        for r in rows:
            sheet.append([r["project"].code, r["project"].name, r["records"], r["late"], r["rejected"], r["missing_contracts"],
                          r["missing_readings"], r["awaiting_card"], "、".join(r["missing_ledgers"]), r["failed_lines"], r["bank_late"], r["bank_issues"],
                          r["labour_cost_short"]])
        return download(to_bytes(workbook), f"数据质量-{enterprise.name}-{last}.xlsx")
    return render(request, "stats/quality.html", {"enterprise": enterprise, "rows": rows, "first": first, "last": last,
                                                  "uscc": request.GET.get("uscc", "")[:18]})
