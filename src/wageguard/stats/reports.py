"""通报: each city's month (and the province's), generated on the 1st for the month before: its indicators
against the targets with its rank among the cities, its counties, the problems found and the alerts handled; in
Excel and in a PDF an official signs (ReportLab, the CJK font embedded from Debian's fonts-wqy-zenhei)."""
from __future__ import annotations

import io
from pathlib import Path

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, transaction
from django.db.models import Max
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Font

from wageguard.core import audit, clock
from wageguard.core.dbrouter import replica_reads
from wageguard.core.models import Industry, Region, RegionLevel
from wageguard.core.xlsx import Sheet, add_sheet

from . import selectors
from .indicators import INDICATORS, coverage_target, rank_among, shown
from .models import MonthlyReport

HEADLINE = ("coverage", "accounts", "contracts", "real_name", "attendance", "bank_disbursement", "alerts_in_time", "late_data",
            "arrears", "arrears_workers", "complaints", "credit_records")
FONT_FILES = ("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc", "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc")


def _num(value) -> float | None:
    return None if value is None else float(value)


def figures(region: Region, month: str) -> dict:
    """What the report says, as data: the area's indicators, its rank among its siblings, its children's rows,
    the problems."""
    industries = tuple(Industry.values)
    area = selectors.Area(region, industries)
    values = selectors.indicator_values(selectors.totals(area, month), month)
    ranks = {}
    if region.parent is not None:
        siblings = [(r, selectors.indicator_values(c, month)) for r, c in selectors.children(selectors.Area(region.parent, industries), month)]
        for code in HEADLINE:
            ranks[code] = rank_among([v[code] for _r, v in siblings], values[code], INDICATORS[code].higher_is_better)
    children = [{"code": r.code, "name": r.name, **{c: _num(v) for c, v in selectors.indicator_values(counts, month).items() if c in HEADLINE}}
                for r, counts in selectors.children(area, month)]
    share, deadline = coverage_target(month)
    problems = []
    below = [c["name"] for c in children if c["coverage"] is not None and c["coverage"] < float(share)]
    if values["coverage"] is not None and values["coverage"] < share:
        problems.append(_("Coverage %(value)s is below the target of %(target)s%% (deadline %(day)s).") % {
            "value": shown("coverage", values["coverage"]), "target": f"{share * 100:.0f}", "day": deadline})
    if below:
        problems.append(_("Below the coverage target: %(names)s.") % {"names": "、".join(below)})
    for code, rank in ranks.items():
        if rank and rank[1] >= 4 and rank[0] > rank[1] - 3:
            problems.append(_("%(indicator)s ranks %(rank)d of %(count)d.") % {"indicator": INDICATORS[code].label, "rank": rank[0], "count": rank[1]})
    if values["arrears"]:
        problems.append(_("Arrears of %(amount)s yuan owed to %(workers)s workers remain unpaid.") % {
            "amount": shown("arrears", values["arrears"]), "workers": shown("arrears_workers", values["arrears_workers"])})
    return {"region": region.code, "name": region.name, "month": month, "values": {c: _num(values[c]) for c in HEADLINE},
            "shown": {c: shown(c, values[c]) for c in HEADLINE}, "ranks": ranks, "children": children, "problems": problems,
            "target": [float(share), deadline.isoformat()]}


def _title(data: dict) -> str:
    year, number = data["month"].split("-")
    return _("%(name)s: the wage-payment supervision platform in %(year)s-%(month)s") % {"name": data["name"], "year": year, "month": number}


def to_xlsx(data: dict) -> bytes:
    workbook = Workbook()
    sheet = Sheet(workbook.active)  # (the formula-safe wrapper: region names are text, never formulas)
    sheet.title = _("Report")[:30]
    sheet.append([_title(data)])
    sheet["A1"].font = Font(bold=True, size=14)
    sheet.append([])
    sheet.append([_("Indicator"), _("Value"), _("Rank")])
    for code in HEADLINE:
        rank = data["ranks"].get(code)
        sheet.append([str(INDICATORS[code].label), data["shown"][code], f"{rank[0]}/{rank[1]}" if rank else ""])
    sheet.append([])
    sheet.append([_("Problems")])
    for problem in data["problems"] or [_("None found.")]:
        sheet.append([problem])
    if data["children"]:
        children = add_sheet(workbook, _("Regions")[:30])
        children.append([_("Region")] + [str(INDICATORS[c].label) for c in HEADLINE])
        for child in data["children"]:
            children.append([child["name"]] + [child[c] for c in HEADLINE])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _font() -> str:
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfbase.ttfonts import TTFont

    for path in (getattr(settings, "PDF_FONT", ""), *FONT_FILES):
        if path and Path(path).exists():
            if "WageguardCJK" not in pdfmetrics.getRegisteredFontNames():
                pdfmetrics.registerFont(TTFont("WageguardCJK", path, subfontIndex=0))
            return "WageguardCJK"
    if "STSong-Light" not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    return "STSong-Light"


def to_pdf(data: dict) -> bytes:
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    font = _font()
    title = ParagraphStyle("title", fontName=font, fontSize=18, leading=26, alignment=1)
    body = ParagraphStyle("body", fontName=font, fontSize=11, leading=17)
    small = ParagraphStyle("small", fontName=font, fontSize=9, leading=12)
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(buffer, pagesize=A4, leftMargin=20 * mm, rightMargin=20 * mm, topMargin=18 * mm, bottomMargin=18 * mm,
                            title=_title(data), author=str(_("Shandong wage-payment supervision platform")))
    grid = TableStyle([("FONTNAME", (0, 0), (-1, -1), font), ("FONTSIZE", (0, 0), (-1, -1), 9), ("GRID", (0, 0), (-1, -1), 0.4, colors.grey),
                       ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#DDEBF7")), ("VALIGN", (0, 0), (-1, -1), "MIDDLE")])
    story = [Paragraph(_title(data), title), Spacer(1, 6 * mm),
             Paragraph(_("1. Indicators (rank among the regions of the same level)"), body)]
    rows = [[_("Indicator"), _("Value"), _("Rank")]] + [
        [str(INDICATORS[c].label), data["shown"][c], "%d/%d" % tuple(data["ranks"][c]) if data["ranks"].get(c) else "—"] for c in HEADLINE]
    story += [Table(rows, colWidths=[70 * mm, 45 * mm, 30 * mm], style=grid), Spacer(1, 5 * mm)]
    if data["children"]:
        story.append(Paragraph(_("2. Regions"), body))
        codes = ("coverage", "bank_disbursement", "real_name", "alerts_in_time", "arrears")
        rows = [[_("Region")] + [str(INDICATORS[c].label) for c in codes]]
        rows += [[child["name"]] + [shown(c, None if child[c] is None else _decimal(child[c])) for c in codes] for child in data["children"]]
        story += [Table(rows, repeatRows=1, style=grid), Spacer(1, 5 * mm)]
    story.append(Paragraph(_("3. Problems found"), body))
    for problem in data["problems"] or [_("None found.")]:
        story.append(Paragraph("· " + problem, body))
    story += [Spacer(1, 14 * mm), Paragraph(_("Issued by (seal): ______________________    Signed: ______________    Date: ____________"), body),
              Spacer(1, 4 * mm), Paragraph(_("Generated by the platform at %(at)s from its statistics of %(month)s.") % {
                  "at": clock.now().strftime("%Y-%m-%d %H:%M"), "month": data["month"]}, small)]
    doc.build(story)
    return buffer.getvalue()


def _decimal(value: float):
    from decimal import Decimal

    return Decimal(str(value))


def report_regions() -> list[Region]:
    return list(Region.objects.filter(level__in=(RegionLevel.PROVINCE, RegionLevel.CITY)).order_by("code"))


def _made(month: str) -> set[int]:
    """The regions whose report of the month exists, read on the primary (generation may run inside replica reads)."""
    return set(MonthlyReport.objects.using(DEFAULT_DB_ALIAS).filter(month=month).values_list("region_id", flat=True))


def generate(month: str, *, actor=None, regions=None, again: bool = False) -> list[MonthlyReport]:
    """The province's and every city's report of a month (or those `regions`'), audited: those not made yet (the
    1st's task run twice, or the demo set up again, makes nothing new); `again`: a new version of each (the
    earlier ones, perhaps signed, stay as they were)."""
    wanted = list(regions or report_regions())
    if not again:  # (checked again under the lock below: this one only spares the work)
        wanted = [region for region in wanted if region.pk not in _made(month)]
    if not wanted:
        return []
    with replica_reads():
        made = [(region, figures(region, month)) for region in wanted]
    documents = [(region, data, to_xlsx(data), to_pdf(data)) for region, data in made]
    now = clock.now()
    with transaction.atomic():
        ids = [region.pk for region, *_rest in documents]
        list(Region.objects.select_for_update().filter(pk__in=ids).order_by("pk"))  # one generation at a time numbers them
        if not again:
            documents = [d for d in documents if d[0].pk not in _made(month)]  # another run made them meanwhile
        versions = dict(MonthlyReport.objects.using(DEFAULT_DB_ALIAS).filter(month=month, region_id__in=ids).values("region_id")
                        .annotate(last=Max("version")).values_list("region_id", "last"))  # the primary's, not a lagging replica's
        reports = []
        for region, data, xlsx, pdf in documents:
            report = MonthlyReport.objects.create(region=region, month=month, version=versions.get(region.pk, 0) + 1, generated_at=now,
                                                  figures=data, xlsx=xlsx, pdf=pdf)
            reports.append(report)
        audit.record(actor=actor, action="stats.reports_generated", obj=reports[0] if reports else None,
                     after={"month": month, "regions": [r.region_id for r in reports]})
    return reports
