"""Reads of credit: records and ratings through the person's data scope; the public lists (published records of
the public kinds, from their publication day until their removal date, nothing else)."""
from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Q, QuerySet
from django.http import Http404

from wageguard.core import access, clock
from wageguard.core.models import Region

from .models import PUBLIC_KINDS, CreditAction, CreditRating, CreditRecord, RecordStatus


@dataclass
class RecordFilters:
    kind: str = ""
    status: str = ""
    q: str = ""          # a name or a USCC


def _search(qs: QuerySet, q: str, *, enterprise: str = "enterprise") -> QuerySet:
    q = (q or "").strip()[:100]
    if not q:
        return qs
    return qs.filter(Q(**{f"{enterprise}__name__icontains": q}) | Q(**{f"{enterprise}__uscc": q.upper()}) | Q(person_name__icontains=q))


def record_list(*, user, filters: RecordFilters | None = None) -> QuerySet[CreditRecord]:
    f = filters or RecordFilters()
    qs = CreditRecord.objects.visible_to(user).select_related("enterprise", "department__region", "project")
    if f.kind:
        qs = qs.filter(kind=f.kind)
    if f.status:
        qs = qs.filter(status=f.status)
    return _search(qs, f.q)


def record_get(*, user, pk: int) -> CreditRecord:
    record = record_list(user=user).filter(pk=pk).first()
    if record is None:
        raise Http404("credit record")
    return record


def history(record: CreditRecord) -> QuerySet[CreditAction]:
    return record.actions.select_related("actor")


def attachment_get(*, user, pk: int) -> CreditAction:
    """An objection's or a repair application's proof: for the deciding department (or above) and the party only."""
    action = (CreditAction.objects.filter(pk=pk, record__in=CreditRecord.objects.visible_to(user)).exclude(attachment="")
              .select_related("record__department__region").first())
    if action is None or not (access.can(user, "credit.decide", action.record) or access.party_of_record(user, action.record)):
        raise Http404("attachment")
    return action


def rating_list(*, user, band: str = "", q: str = "") -> QuerySet[CreditRating]:
    qs = CreditRating.objects.visible_to(user).select_related("enterprise__region").order_by("score", "enterprise__name")
    if band:
        qs = qs.filter(band=band)
    q = (q or "").strip()[:100]
    if q:
        qs = qs.filter(Q(enterprise__name__icontains=q) | Q(enterprise__uscc=q.upper()))
    return qs


def rating_get(*, user, enterprise_pk: int) -> CreditRating:
    rating = rating_list(user=user).filter(enterprise_id=enterprise_pk).first()
    if rating is None:
        raise Http404("credit rating")
    return rating


def records_of(*, user, enterprise_id: int) -> QuerySet[CreditRecord]:
    return record_list(user=user).filter(enterprise_id=enterprise_id)


# ---------------------------------------------------------------- public (no sign-in)


@dataclass
class PublicFilters:
    q: str = ""        # a name or a USCC
    kind: str = ""
    region: str = ""   # a region code (its subtree)


def public_records(filters: PublicFilters | None = None) -> QuerySet[CreditRecord]:
    """What the public lists show today: published records of the public kinds whose removal date has not come
    (a record leaves the lists on that day, whether or not the nightly removal has run yet)."""
    f = filters or PublicFilters()
    today = clock.localdate()
    qs = (CreditRecord.objects.filter(status=RecordStatus.PUBLISHED, kind__in=PUBLIC_KINDS, published_on__lte=today, removal_on__gt=today)
          .select_related("enterprise", "department__region__parent").order_by("-published_on", "-id"))
    if f.kind in PUBLIC_KINDS:
        qs = qs.filter(kind=f.kind)
    if f.region:
        region = Region.objects.filter(code=f.region).first()
        qs = qs.filter(department__region__code__startswith=region.subtree_prefix) if region else qs.none()
    return _search(qs, f.q)


def public_record_get(pk: int) -> CreditRecord:
    record = public_records().filter(pk=pk).first()
    if record is None:
        raise Http404("record")
    return record


def public_regions() -> QuerySet[Region]:
    return Region.objects.filter(level__in=("province", "city")).order_by("code")
