"""Console pages for machine clients (platform administrators only). A new or rotated secret is shown once,
on the answer to the POST itself, never stored in the session or shown again."""
from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from wageguard.core.access import route
from wageguard.core.errors import ACCESS_ERRORS, ServiceError

from . import selectors, services
from .forms import ApiClientForm
from .models import ApiClient


def _admin_only(request) -> None:
    if not request.user.is_platform_admin:
        raise Http404


def _get(request, pk: int) -> ApiClient:
    try:
        return selectors.apiclient_get(request.user, pk)
    except ApiClient.DoesNotExist:
        raise Http404 from None


def _show_secret(request, client: ApiClient, secret: str):
    return render(request, "exchange/secret.html", {"client": client, "secret": secret})


@route("apiclient.manage")
@never_cache
def apiclient_list(request):
    _admin_only(request)
    form = ApiClientForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            client, secret = services.apiclient_create(actor=request.user, **form.service_kwargs())
        except ACCESS_ERRORS:
            raise
        except ServiceError as error:
            form.add_service_error(error)
        else:
            return _show_secret(request, client, secret)
    page = Paginator(selectors.apiclients_for(request.user), 50).get_page(request.GET.get("page"))
    return render(request, "exchange/apiclient_list.html", {"page": page, "form": form})


@route("apiclient.manage", pk=ApiClient)
@never_cache
@require_POST
def apiclient_rotate(request, pk: int):
    _admin_only(request)
    client = _get(request, pk)
    try:
        secret = services.apiclient_rotate(actor=request.user, client=client)
    except ACCESS_ERRORS:
        raise
    except ServiceError as error:
        messages.error(request, str(error.message))
        return redirect("apiclient_list")
    return _show_secret(request, client, secret)


@route("apiclient.manage", pk=ApiClient)
@require_POST
def apiclient_set_active(request, pk: int):
    _admin_only(request)
    client = _get(request, pk)
    active = request.POST.get("active") == "1"
    try:
        services.apiclient_set_active(actor=request.user, client=client, active=active)
    except ACCESS_ERRORS:
        raise
    except ServiceError as error:
        messages.error(request, str(error.message))
    else:
        messages.success(request, (_("Client %(key)s enabled.") if active else _("Client %(key)s disabled.")) % {"key": client.key_id})
    return redirect("apiclient_list")
