"""Console pages of the registry. Thin: read through selectors, write through services."""
from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from wageguard.core import access, files
from wageguard.core import panels as core_panels
from wageguard.core.access import route
from wageguard.core.errors import ACCESS_ERRORS, ServiceError
from wageguard.core.http import service_call
from wageguard.core.models import Industry, Region, RegionLevel
from wageguard.core.xlsx import download

from . import excel, selectors, services
from .forms import ExitForm, ParticipationForm, ProjectForm, ShutdownForm
from .models import Employment, IdentityReview, ImportJob, LabourContract, Participation, Project, ProjectStatus, WageCardChange, Worker
from .tasks import import_progress


def _service_call(request, fn, success: str, **kwargs):
    service_call(request, lambda: fn(actor=request.user, **kwargs), success)


@route()
def home(request):
    if request.user.role == "worker" and request.user.worker_id:
        return redirect("worker_detail", pk=request.user.worker_id)
    panels = core_panels.for_user(request.user)  # e.g. the alerts' counts (contributed by the alerts app)
    return render(request, "registry/home.html", {"counts": selectors.dashboard_counts(user=request.user), "alerts": panels.get("alerts")})


@route("projects.view")
def project_list(request):
    filters = selectors.ProjectFilters(
        region=request.GET.get("region", ""), industry=request.GET.get("industry", ""),
        status=request.GET.get("status", ""), q=request.GET.get("q", "").strip(),
        onboarded=request.GET.get("onboarded", ""),
    )
    page = Paginator(selectors.project_list(user=request.user, filters=filters), 50).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "registry/project_list.html", {
        "page": page, "filters": filters, "querystring": query.urlencode(),
        "regions": Region.objects.exclude(level=RegionLevel.COUNTY).order_by("code"),
        "industries": Industry.choices, "statuses": ProjectStatus.choices,
    })


@route("project.create")
def project_create(request):
    """建档 by a department official, or a general contractor's proposal."""
    user = request.user
    if not (user.is_platform_admin or (user.role == "official" and user.department) or (user.role == "enterprise_admin" and user.enterprise)):
        raise Http404
    prefix = user.department.region.subtree_prefix if user.department_id else ""
    initial = {"contractor_uscc": user.enterprise.uscc} if user.enterprise_id else {}
    form = ProjectForm(request.POST or None, region_prefix=prefix, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            project = services.project_create(actor=user, **form.cleaned_data)
        except ACCESS_ERRORS:
            raise
        except ServiceError as error:
            form.add_service_error(error)
        else:
            messages.success(request, _("Project %(code)s saved.") % {"code": project.code})
            return redirect("project_detail", pk=project.pk)
    return render(request, "registry/project_form.html", {"form": form})


@route("participation.add", pk=Project)
@require_POST
def participation_add(request, pk: int):
    project = selectors.project_get(user=request.user, pk=pk)
    access.require(request.user, "participation.add", project)
    form = ParticipationForm(request.POST)
    if form.is_valid():
        _service_call(request, services.participation_add_by_uscc, _("Participating enterprise added."), project=project,
                      **form.cleaned_data)
    else:
        for field, errors in form.errors.items():
            messages.error(request, f"{form.fields[field].label if field in form.fields else ''}: {' '.join(errors)}")
    return redirect("project_detail", pk=pk)


@route("shutdown.declare", pk=Project)
@require_POST
def shutdown_declare(request, pk: int):
    project = selectors.project_get(user=request.user, pk=pk)
    access.require(request.user, "shutdown.declare", project)  # refused before the form is even read
    form = ShutdownForm(request.POST)
    if form.is_valid():
        _service_call(request, services.shutdown_declare, _("Shutdown declared."), project=project, **form.cleaned_data)
    else:
        for field, errors in form.errors.items():
            messages.error(request, f"{form.fields[field].label if field in form.fields else ''}: {' '.join(errors)}")
    return redirect("project_detail", pk=pk)


@route("roster.manage", pk=Employment)
@require_POST
def employment_exit(request, pk: int):
    employment = selectors.employment_get(user=request.user, pk=pk)
    form = ExitForm(request.POST)
    if form.is_valid():
        _service_call(request, services.employment_exit, _("Exit recorded."), employment=employment,
                      exited_on=form.cleaned_data["exited_on"])
    else:
        messages.error(request, _("Give a valid exit date."))
    return redirect("project_detail", pk=employment.project_id)


@route("onboarding.view")
def onboarding_todo(request):
    projects = selectors.onboarding_todo(user=request.user)
    page = Paginator(projects, 50).get_page(request.GET.get("page"))
    return render(request, "registry/onboarding_todo.html", {"page": page})


@route("projects.view", pk=Project)
def project_detail(request, pk: int):
    project = selectors.project_get(user=request.user, pk=pk)
    roster = selectors.roster(user=request.user, project=project)
    page = Paginator(roster, 100).get_page(request.GET.get("page"))
    return render(request, "registry/project_detail.html", {
        "project": project,
        "participations": selectors.participations(user=request.user, project=project),
        "teams": selectors.teams(user=request.user, project=project),
        "page": page,
        "can_onboard": access.can(request.user, "project.onboard", project),
        "can_import": access.can(request.user, "roster.manage", project),
        "can_add_participant": access.can(request.user, "participation.add", project),
        "participation_form": ParticipationForm(),
        "shutdowns": selectors.shutdowns(user=request.user, project=project),
        "can_declare_shutdown": access.can(request.user, "shutdown.declare", project),
        "shutdown_form": ShutdownForm(),
    })


@route("project.accept", pk=Project)
@require_POST
def project_accept(request, pk: int):
    project = selectors.project_get(user=request.user, pk=pk)
    _service_call(request, services.project_accept, _("The project has been accepted and filed."), project=project)
    return redirect("project_detail", pk=pk)


@route("project.onboard", pk=Project)
@require_POST
def project_onboard(request, pk: int):
    project = selectors.project_get(user=request.user, pk=pk)
    _service_call(request, services.project_onboard, _("The project is onboarded and now supervised."), project=project)
    return redirect("project_detail", pk=pk)


@route("participation.review", pk=Participation)
@require_POST
def participation_review(request, pk: int):
    participation = Participation.objects.select_related("project").filter(pk=pk).first()
    project = selectors.project_get(user=request.user, pk=participation.project_id if participation else -1)
    approve = request.POST.get("decision") == "approve"
    _service_call(request, services.participation_review, _("Review recorded."), participation=participation,
                  approve=approve, reason=request.POST.get("reason", ""))
    return redirect("project_detail", pk=project.pk)


@route("projects.view", pk=Project)
def roster_export(request, pk: int):
    project = selectors.project_get(user=request.user, pk=pk)
    employments = selectors.roster(user=request.user, project=project).prefetch_related("contracts")
    unmasked = request.GET.get("unmasked") == "1" and request.user.has_perm("core.unmask_pii")
    if unmasked:
        services.roster_export_record(actor=request.user, project=project)
    return download(excel.export_roster(employments, unmasked=unmasked), f"roster-{project.code}.xlsx")


@route("roster.manage")
def roster_template(request):
    return download(excel.template_workbook(), "roster-template.xlsx")


@route("roster.manage", pk=Project)
def roster_import(request, pk: int):
    project = selectors.project_get(user=request.user, pk=pk)
    if request.method == "POST":
        upload = request.FILES.get("file")
        if upload is None:
            messages.error(request, _("Choose an Excel file to import."))
        else:
            try:
                job = services.roster_import_start(actor=request.user, project=project, upload=upload)
            except ACCESS_ERRORS:
                raise
            except ServiceError as error:
                messages.error(request, str(error.message))
            else:
                return redirect("import_status", pk=job.pk)
    jobs = ImportJob.objects.filter(project=project, uploaded_by=request.user)[:10]
    return render(request, "registry/roster_import.html", {"project": project, "jobs": jobs})


@route("roster.manage", pk=ImportJob)
def import_status(request, pk: int):
    job = ImportJob.objects.select_related("project").filter(pk=pk).first()
    project = selectors.project_get(user=request.user, pk=job.project_id if job else -1)
    if not access.can(request.user, "roster.manage", project):
        raise Http404("import")
    template = "registry/_import_progress.html" if request.headers.get("HX-Request") else "registry/import_status.html"
    return render(request, template, {"job": job, "project": project, "progress": import_progress(job)})


@route("signed_in", pk=Worker)
def worker_detail(request, pk: int):
    worker = selectors.worker_get(user=request.user, pk=pk)
    user = request.user
    return render(request, "registry/worker_detail.html", {
        "worker": worker,
        "employments": selectors.worker_employments(user=user, worker=worker),
        "can_reveal": access.can(user, "worker.unmask", worker),
        "card_changes": selectors.card_changes(user=user, worker=worker)[:10],
        "may_change_card": access.can(user, "worker.card_change", worker),
        "is_self": user.worker_id == worker.pk,
        "pending_reviews": worker.identity_reviews.filter(status="pending").count() if access.sees_personal_data(user) else 0,
    })


@route("signed_in", pk=LabourContract)
def contract_file(request, pk: int):
    contract = selectors.contract_get(user=request.user, pk=pk)
    name = f"contract-{contract.employment.project.code}-{contract.employment_id}-{contract.signed_on:%Y%m%d}{files.EXTENSION[contract.file_type]}"
    return files.serve(contract.file, contract.file_type, name)


@route("worker.card_change", pk=Worker)
@require_POST
def worker_card(request, pk: int):
    """A new wage card: the worker's own (password again), an employer's (the worker confirms), an official's."""
    worker = selectors.worker_get(user=request.user, pk=pk)
    access.require(request.user, "worker.card_change", worker)
    post = request.POST
    service_call(request, lambda: services.card_change_request(actor=request.user, worker=worker, card=post.get("card", "").strip(),
                                                               bank_name=post.get("bank_name", ""), password=post.get("password")),
                 _("The wage card change is recorded."))
    return redirect("worker_detail", pk=worker.pk)


@route("card.confirm", pk=WageCardChange, step=("confirm", "reject"))
@require_POST
def card_change_step(request, pk: int, step: str):
    """The worker confirms (with their password) or rejects an employer's change of their wage card."""
    change = selectors.card_change_get(user=request.user, pk=pk)
    access.require(request.user, "card.confirm", change)
    service_call(request, lambda: services.card_change_confirm(actor=request.user, change=change, password=request.POST.get("password"),
                                                               approve=step == "confirm"),
                 _("Confirmed.") if step == "confirm" else _("Rejected."))
    return redirect("worker_detail", pk=change.worker_id)


@route("identity.reviews")
def identity_review_list(request):
    page = Paginator(selectors.identity_reviews(user=request.user, status=request.GET.get("status", "pending")), 50).get_page(
        request.GET.get("page"))
    return render(request, "registry/identity_reviews.html", {"page": page, "status": request.GET.get("status", "pending")})


@route("identity.reviews", pk=IdentityReview)
def identity_review_detail(request, pk: int):
    review = selectors.identity_review_get(user=request.user, pk=pk)
    return render(request, "registry/identity_review.html", {
        "review": review, "rows": services.identity_review_rows(review),
        "may_decide": review.status == "pending" and access.can(request.user, "identity.review", review)})


@route("identity.review", pk=IdentityReview)
@require_POST
def identity_review_decide(request, pk: int):
    review = selectors.identity_review_get(user=request.user, pk=pk)
    access.require(request.user, "identity.review", review)
    service_call(request, lambda: services.identity_review_decide(actor=request.user, review=review,
                                                                  approve=request.POST.get("decision") == "approve",
                                                                  reason=request.POST.get("reason", "")),
                 _("Review recorded."))
    return redirect("identity_review_detail", pk=review.pk)


@route("worker.unmask", pk=Worker, field=sorted(services.PII_FIELDS))
@require_POST
def worker_reveal(request, pk: int, field: str):
    worker = selectors.worker_get(user=request.user, pk=pk)
    try:
        value = services.worker_reveal(actor=request.user, worker=worker, field_name=field)
    except ACCESS_ERRORS:
        raise
    except ServiceError as error:
        return HttpResponse(str(error.message), status=error.status)
    return render(request, "registry/_revealed.html", {"value": value})
