"""Enterprise API: register workers, record entry/exit, attach contracts, list a roster."""
from __future__ import annotations

import datetime
from decimal import Decimal

from django.utils.translation import gettext as _
from ninja import File, Form, Router, Schema, Status
from ninja.files import UploadedFile

from wageguard.core import access
from wageguard.core.apiauth import people
from wageguard.core.errors import ServiceError

from . import selectors, services

router = Router(tags=["registry"])


class EntryIn(Schema):
    id_number: str
    enterprise_uscc: str
    trade: str
    entered_on: datetime.date
    team: str = ""


class EntryOut(Schema):
    employment_id: int
    warnings: list[str]


class ExitIn(Schema):
    exited_on: datetime.date


class ContractOut(Schema):
    contract_id: int
    file_type: str = ""
    file_size: int | None = None


class RosterLine(Schema):
    employment_id: int
    worker_id: int
    name: str
    id_number_masked: str
    enterprise_uscc: str
    enterprise_name: str
    team: str | None
    trade: str
    entered_on: datetime.date
    exited_on: datetime.date | None
    has_contract: bool
    overlapping: bool


@router.post("/projects/{code}/employments", response={201: EntryOut}, **people("roster.manage"), summary="Record a worker's entry to a project")
def enter(request, code: str, body: EntryIn):
    """A worker whose ID card was read for this project (see id-card-readings) enters it. An unknown number and
    a card not read here get the same answer: nothing tells whether the number is registered elsewhere."""
    project = selectors.project_get(user=request.user, code=code)
    enterprise = selectors.enterprise_get(user=request.user, uscc=body.enterprise_uscc)
    worker = selectors.worker_by_id_number(body.id_number)
    user = request.user
    if worker is None or not (access.is_admin(user) or access.is_official(user) or services.card_read_for(worker, project)):
        raise ServiceError("not_registered", _("Read the worker's ID card for this project first."), "id_number")
    team = None
    if body.team:
        team = services.team_create(actor=request.user, project=project, enterprise=enterprise, name=body.team)
    result = services.employment_enter(actor=request.user, worker=worker, project=project, enterprise=enterprise,
                                       team=team, trade=body.trade, entered_on=body.entered_on)
    return Status(201, EntryOut(employment_id=result.employment.pk, warnings=result.warnings))


@router.post("/employments/{employment_id}/exit", response=EntryOut, **people("roster.manage"), summary="Record a worker's exit")
def exit_(request, employment_id: int, body: ExitIn):
    employment = selectors.employment_get(user=request.user, pk=employment_id)
    services.employment_exit(actor=request.user, employment=employment, exited_on=body.exited_on)
    return EntryOut(employment_id=employment.pk, warnings=[])


@router.post("/employments/{employment_id}/contracts", response={201: ContractOut}, **people("roster.manage"), summary="Attach a labour contract")
def attach_contract(
    request, employment_id: int, signed_on: Form[datetime.date], wage_basis: Form[str], wage_rate: Form[Decimal],
    pay_day: Form[int], term_end: Form[datetime.date | None] = None, file: File[UploadedFile] = None,
):
    employment = selectors.employment_get(user=request.user, pk=employment_id)
    contract = services.contract_attach(actor=request.user, employment=employment, signed_on=signed_on,
                                        wage_basis=wage_basis, wage_rate=wage_rate, pay_day=pay_day,
                                        term_end=term_end, upload=file)
    return Status(201, ContractOut(contract_id=contract.pk, file_type=contract.file_type, file_size=contract.file_size))


@router.get("/projects/{code}/roster", response=list[RosterLine], **people("projects.view"), summary="A project's roster")
def project_roster(request, code: str, include_exited: bool = True):
    project = selectors.project_get(user=request.user, code=code)
    return [
        RosterLine(
            employment_id=e.pk, worker_id=e.worker_id, name=e.worker.name, id_number_masked=e.worker.id_number_masked,
            enterprise_uscc=e.enterprise.uscc, enterprise_name=e.enterprise.name, team=e.team.name if e.team else None,
            trade=e.trade, entered_on=e.entered_on, exited_on=e.exited_on, has_contract=e.has_contract,
            overlapping=e.overlapping,
        )
        for e in selectors.roster(user=request.user, project=project, include_exited=include_exited)
    ]
