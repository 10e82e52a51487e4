"""Reads of complaints, always through the data scope; the credit rating's "complaints upheld" line."""
from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db.models import Exists, OuterRef
from django.http import Http404

from wageguard.core import access

from wageguard.credit.rating import Line

from .models import OPEN_STATUSES, UPHELD, Complaint, ComplaintAction, Step


@dataclass
class Filters:
    status: str = "active"   # active / closed / all / one status


def complaint_list(*, user, filters: Filters | None = None):
    f = filters or Filters()
    qs = Complaint.objects.visible_to(user).select_related("project", "enterprise", "worker", "department__region", "region__parent")
    if f.status == "active":
        return qs.filter(status__in=OPEN_STATUSES)
    if f.status == "closed":
        return qs.exclude(status__in=OPEN_STATUSES)
    return qs if f.status in ("", "all") else qs.filter(status=f.status)


def complaint_get(*, user, pk: int) -> Complaint:
    complaint = complaint_list(user=user, filters=Filters("all")).filter(pk=pk).first()
    if complaint is None:
        raise Http404("complaint")
    return complaint


def history(complaint: Complaint):
    return complaint.actions.select_related("actor")


def attachment_get(*, user, pk: int) -> ComplaintAction:
    """A file of the complaint: officials and the worker all; the employer named only its own answers' (a worker's
    photo or voice would tell it who complained)."""
    actions = ComplaintAction.objects.filter(pk=pk, complaint__in=Complaint.objects.visible_to(user)).exclude(attachment="")
    if access.is_enterprise_staff(user):
        actions = actions.filter(step=Step.ANSWERED, actor__enterprise_id=user.enterprise_id)
    action = actions.first()
    if action is None:
        raise Http404("attachment")
    return action


def upheld_by_enterprise(since: datetime.datetime, enterprise_ids) -> dict[int, Line]:
    """Complaints upheld since `since` (resolved, or sent to arbitration), against the employer named."""
    # Resolved after the inspection took it up (accepted or investigated): not a complaint closed on arrival.
    taken_up = ComplaintAction.objects.filter(complaint_id=OuterRef("pk"), step__in=(Step.ACCEPTED, Step.INVESTIGATING))
    qs = Complaint.objects.filter(Exists(taken_up), status__in=UPHELD, closed_at__gte=since)
    if enterprise_ids is not None:
        qs = qs.filter(enterprise_id__in=list(enterprise_ids))
    lines: dict[int, Line] = {}
    for pk, enterprise_id in qs.values_list("pk", "enterprise_id").iterator(chunk_size=5000):
        line = lines.setdefault(enterprise_id, Line("complaint_upheld"))
        line.count += 1
        line.sources.append(("complaint", pk))
    return lines
