from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from wageguard.registry import selectors as registry_selectors
from wageguard.registry.models import Employment, Project

from . import selectors


@login_required
def on_site(request, pk: int):
    project = registry_selectors.project_get(user=request.user, pk=pk)
    today = selectors.on_site_today(project=project, employments=Employment.objects.visible_to(request.user))
    template = "attendance/_on_site.html" if request.headers.get("HX-Request") else "attendance/on_site.html"
    return render(request, template, {"project": project, "today": today,
                                      "devices": selectors.gate_devices(project=project)})


@login_required
def quality(request):
    projects = Project.objects.visible_to(request.user)
    return render(request, "attendance/quality.html", {
        "senders": selectors.sender_quality(projects=projects),
        "rejections": selectors.rejections(projects=projects),
        "by_contractor": selectors.enterprise_quality(projects=projects),
    })
