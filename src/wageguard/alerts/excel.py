"""The inbox as an Excel sheet (what officials filter and export)."""
from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext as _

from wageguard.core.xlsx import new_sheet, to_bytes

from .catalogue import RULES


def inbox(alerts) -> bytes:
    header = [_("Raised at"), _("Severity"), _("Rule"), _("Project"), _("Region"), _("Enterprise"), _("Period"), _("Status"),
              _("Handled by"), _("Handle by"), _("Facts")]
    workbook, sheet = new_sheet(header, str(_("Alerts")))
    for a in alerts:
        rule = RULES.get(a.rule)
        sheet.append([timezone.localtime(a.raised_at).strftime("%Y-%m-%d %H:%M"), a.get_severity_display(), str(rule.name) if rule else a.rule,
                     a.project.name if a.project else a.facts.get("sender", ""), f"{a.region.parent.name if a.region.parent else ''}{a.region.name}",
                     a.enterprise.name if a.enterprise else "", a.period, a.get_status_display(), str(a.department),
                     timezone.localtime(a.due_at).strftime("%Y-%m-%d"), "; ".join(f"{k}={v}" for k, v in a.facts.items())])
    return to_bytes(workbook)
