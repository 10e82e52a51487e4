"""The site notice board (维权信息告示牌): a printable A3 PDF per project — its name and code, the general
contractor, the wage account's bank, the departments that supervise it, the 12333 hotline — and a QR code to the
project's public page, which a worker reads without an account. reportlab draws it (the QR code as vectors, the
Chinese in the PDF standard CID font STSong-Light, so no font file ships with the platform)."""
from __future__ import annotations

import io

from django.conf import settings
from django.http import HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.contrib import messages
from django.views.decorators.http import require_http_methods, require_safe
from reportlab.graphics import renderPDF
from reportlab.graphics.barcode.qr import QrCodeWidget
from reportlab.graphics.shapes import Drawing
from reportlab.lib.pagesizes import A3
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfgen import canvas

from wageguard.accounts import selectors as account_selectors
from wageguard.core.access import public, route
from wageguard.core.errors import ServiceError
from wageguard.core.middleware import client_ip
from wageguard.core.models import INDUSTRY_AGENCY, Agency, Department
from wageguard.registry import signin
from wageguard.registry.models import Project
from wageguard.registry.selectors import project_get
from wageguard.registry.validators import validate_id_number

from . import services
from .models import ComplaintKind

FONT = "STSong-Light"
HOTLINE = "12333"


def public_url(project: Project) -> str:
    return settings.WAGEGUARD_PUBLIC_URL.rstrip("/") + reverse("public_project", args=[project.code])


def board(project: Project) -> dict:
    """What the board and the public page say: nothing personal, nothing a passer-by could misuse."""
    account = next(iter(account_selectors.accounts_of([project])), None)
    departments = [Department.objects.get(region=project.region, agency=agency) for agency in (Agency.HRSS, INDUSTRY_AGENCY[project.industry])]
    return {"project": project, "general_contractor": project.general_contractor.name, "bank": account.bank.name if account else "",
            "departments": [str(d) for d in dict.fromkeys(departments)], "hotline": HOTLINE, "url": public_url(project)}


def pdf(project: Project) -> bytes:
    facts = board(project)
    if FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(FONT))
    buffer = io.BytesIO()
    page = canvas.Canvas(buffer, pagesize=A3)
    width, height = A3
    page.setTitle(project.name)
    page.setFont(FONT, 40)
    page.drawCentredString(width / 2, height - 45 * mm, _("Migrant workers' wage rights notice board"))
    lines = [(_("Project"), project.name), (_("Project code"), project.code), (_("General contractor"), facts["general_contractor"]),
             (_("Wage account bank"), facts["bank"] or "—"), (_("Supervising departments"), "、".join(facts["departments"])),
             (_("Hotline"), facts["hotline"])]
    y = height - 80 * mm
    for label, value in lines:
        page.setFont(FONT, 22)
        page.drawString(25 * mm, y, f"{label}：{value}"[:48])
        y -= 16 * mm
    page.setFont(FONT, 18)
    page.drawString(25 * mm, y - 4 * mm, _("Unpaid? Scan the code to see this project's facts and complain from your phone."))
    size = 150 * mm
    widget = QrCodeWidget(facts["url"], barLevel="M")
    x0, y0, x1, y1 = widget.getBounds()
    drawing = Drawing(size, size, transform=[size / (x1 - x0), 0, 0, size / (y1 - y0), 0, 0])
    drawing.add(widget)
    renderPDF.draw(drawing, page, (width - size) / 2, 40 * mm)
    page.setFont(FONT, 12)
    page.drawCentredString(width / 2, 32 * mm, facts["url"])
    page.showPage()
    page.save()
    return buffer.getvalue()


@require_safe
@route("projects.view", pk=Project)
def board_pdf(request, pk: int):
    project = project_get(user=request.user, pk=pk)
    response = HttpResponse(pdf(project), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="notice-board-{project.code}.pdf"'
    return response


@require_safe
@public(code=lambda objects: objects["registry.project"].code)
def project_page(request, code: str):
    """The page the board's QR code opens: the project's facts and how to complain (no sign-in)."""
    project = Project.objects.filter(code=code[:32], onboarded_at__isnull=False).select_related("general_contractor", "region").first()
    if project is None:
        return render(request, "complaints/public_project.html", {"missing": True}, status=404)
    return render(request, "complaints/public_project.html", board(project))


PENDING = "wageguard.board_complaint"  # the form, kept in the session while the phone's code is awaited


@require_http_methods(["GET", "POST"])
@public(code=lambda objects: objects["registry.project"].code)
def board_complaint(request, code: str):
    """Complain from the notice board: name, ID number, phone, what happened; then the code texted to that phone."""
    project = Project.objects.filter(code=code[:32], onboarded_at__isnull=False).select_related("general_contractor", "region").first()
    if project is None:
        return render(request, "complaints/public_project.html", {"missing": True}, status=404)
    post, context = request.POST, {"project": project, "kinds": ComplaintKind.choices}
    try:
        if post.get("action") == "send":
            form = {"name": post.get("name", ""), "id_number": post.get("id_number", ""), "phone": post.get("phone", ""),
                    "kinds": post.getlist("kinds"), "months": [m for m in post.getlist("months") if m], "text": post.get("text", "")[:4000]}
            validate_id_number(form["id_number"], "id_number")
            services.clean_kinds(form["kinds"]), services.clean_months(form["months"])  # refused before a code is spent
            shown = signin.code_send(phone=form["phone"], address=client_ip(request), purpose=signin.COMPLAINT)
            request.session.cycle_key()  # the pending form belongs to this session from now on
            request.session[PENDING] = {**form, "project": project.pk}
            messages.success(request, _("A code was texted to your phone. Enter it to send the complaint."))
            if shown:
                messages.info(request, _("Demo: the code is %(code)s") % {"code": shown})
            context["awaiting"] = True
        elif post.get("action") == "verify":
            form = request.session.get(PENDING) or {}
            if form.get("project") != project.pk:
                raise ServiceError("expired", _("Fill in the complaint again."), "code")
            signin.code_verify(phone=form["phone"], code=post.get("code", ""), purpose=signin.COMPLAINT)
            complaint = services.complaint_from_board(project=project, name=form["name"], id_number=form["id_number"], phone=form["phone"],
                                                      kinds=form["kinds"], months_claimed=form["months"], text=form["text"])
            request.session.pop(PENDING, None)
            return render(request, "complaints/public_complain.html", {**context, "done": complaint.pk})
    except ServiceError as error:
        messages.error(request, str(error.message))
        context["awaiting"] = post.get("action") == "verify"
    return render(request, "complaints/public_complain.html", context)
