"""Signing in, as MLPS 2.0 level 3 asks (docs/security.md):

- lockout after 10 failures in 15 minutes per account and per address (django-axes), with a Chinese message;
- a TOTP second factor (django-otp): when `WAGEGUARD_2FA=required` (the production default) nobody opens a page
  or the session API on a password alone; with `optional` (the demo) those who enrolled are asked for it;
- sessions end after 30 minutes idle (`SESSION_COOKIE_AGE`, renewed per request) and 12 hours after sign-in;
- sign-ins, failures, lockouts, sign-outs and enrolments go to the audit log (changes made in Django's admin
  too: core/admin.py).
"""
from __future__ import annotations

import base64
import io
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django_otp import login as otp_login
from django_otp import user_has_device
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_otp.qr import write_qrcode_image

from . import audit, clock
from .access import route
from .transactions import service

LOGIN_AT = "wageguard_login_at"
SMS_VERIFIED = "wageguard.sms_verified"  # the session was opened with a code texted to the worker's phone: a second factor
ABSOLUTE_SESSION_SECONDS = 12 * 3600


def _address(request) -> str:
    from .middleware import client_ip

    return client_ip(request) if request is not None else ""


def _next(request) -> str:
    """Where to go after the code: a path on this site only (never an address given by someone else)."""
    target = request.GET.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return target
    return reverse("home")


# ---------------------------------------------------------------- audit of sign-in events


def _logged_in(sender, request, user, **kwargs):
    if request is not None and hasattr(request, "session"):
        request.session[LOGIN_AT] = int(clock.now().timestamp())
    audit.record(actor=user, action="core.login", obj=user, after={"address": _address(request)})


def _login_failed(sender, credentials, request=None, **kwargs):
    """What was typed as the user name is kept only when it is an account's (a password typed into the wrong box
    is never logged)."""
    from .models import User

    typed = str(credentials.get("username", ""))[:150]
    username = typed if User.objects.filter(username=typed).exists() else "(unknown)"
    audit.record(actor=None, action="core.login_failed", object_type="core.user", object_id=username[:64],
                 after={"username": username, "address": _address(request)})


def _logged_out(sender, request, user, **kwargs):
    if user is not None:
        audit.record(actor=user, action="core.logout", obj=user, after={"address": _address(request)})


def _locked_out(sender, request, username=None, ip_address=None, **kwargs):
    audit.record(actor=None, action="core.lockout", object_type="core.user", object_id=str(username or "")[:64],
                 after={"username": username, "address": ip_address})


def connect_signals() -> None:
    from axes.signals import user_locked_out

    user_logged_in.connect(_logged_in, dispatch_uid="wageguard-audit-login")
    user_login_failed.connect(_login_failed, dispatch_uid="wageguard-audit-login-failed")
    user_logged_out.connect(_logged_out, dispatch_uid="wageguard-audit-logout")
    user_locked_out.connect(_locked_out, dispatch_uid="wageguard-audit-lockout")


# ---------------------------------------------------------------- lockout


def locked_out(request, credentials=None, *args, **kwargs):
    """django-axes' answer once an account or an address is locked (AXES_LOCKOUT_CALLABLE)."""
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    detail = _("Too many failed sign-ins: this account or address is locked for %(minutes)d minutes.") % {"minutes": minutes}
    if request.path.startswith("/api/"):
        response = JsonResponse({"error": "locked_out", "detail": detail}, status=429)
    else:
        response = render(request, "core/refused.html", {"title": _("Signing in is locked"), "detail": detail}, status=429)
    response["Retry-After"] = str(int(settings.AXES_COOLOFF_TIME.total_seconds()))
    return response


# ---------------------------------------------------------------- second factor


def second_factor_due(user) -> bool:
    """Whether this signed-in person must still give a one-time code before any page opens."""
    if not user.is_authenticated or user.is_verified():
        return False
    return settings.WAGEGUARD_2FA == "required" or (settings.WAGEGUARD_2FA == "optional" and user_has_device(user))


# Pages a person who still owes the second factor may open: the code and the enrolment, signing out, language.
OPEN_BEFORE_SECOND_FACTOR = ("/login/", "/logout/", "/account/security/", "/i18n/", "/static/", "/public/")


class SecondFactorMiddleware:
    """After django-otp's middleware: a password alone opens no page and no session API call."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        sms_verified = user is not None and user.is_authenticated and user.role == "worker" and request.session.get(SMS_VERIFIED)
        if user is not None and second_factor_due(user) and not sms_verified and not request.path.startswith(OPEN_BEFORE_SECOND_FACTOR):
            if request.path.startswith("/api/"):
                return JsonResponse({"error": "second_factor_required", "detail": _("Give the one-time code of your authenticator first.")},
                                    status=401)
            target = "otp_verify" if user_has_device(user) else "otp_enrol"
            return redirect(f"{reverse(target)}?{urlencode({'next': request.get_full_path()})}")
        return self.get_response(request)


class SessionLimitMiddleware:
    """A session ends 12 hours after sign-in, however active (the 30-minute idle limit is the cookie's age)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            started = request.session.setdefault(LOGIN_AT, int(clock.now().timestamp()))
            if clock.now().timestamp() - started > ABSOLUTE_SESSION_SECONDS:
                logout(request)
                if request.path.startswith("/api/"):
                    return JsonResponse({"error": "session_expired", "detail": _("The session has expired; sign in again.")}, status=401)
                messages.info(request, _("The session has expired; sign in again."))
                return redirect(f"{reverse('login')}?{urlencode({'next': request.get_full_path()})}")
        return self.get_response(request)


def _qr_data_uri(url: str) -> str:
    buffer = io.BytesIO()
    write_qrcode_image(url, buffer)
    return "data:image/svg+xml;base64," + base64.b64encode(buffer.getvalue()).decode()


@service
def otp_enrol_start(*, actor) -> TOTPDevice:
    """A new authenticator for the person (unconfirmed until they give its first code); earlier unconfirmed ones go."""
    TOTPDevice.objects.filter(user=actor, confirmed=False).delete()
    return TOTPDevice.objects.create(user=actor, name="wageguard", confirmed=False)


@service
def otp_enrol_confirm(*, actor, device: TOTPDevice, token: str) -> bool:
    if device.user_id != actor.pk or device.confirmed or not device.verify_token(token):
        audit.record(actor=actor, action="core.otp_enrol_failed", obj=actor)
        return False
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    audit.record(actor=actor, action="core.otp_enrolled", obj=actor, after={"device": device.persistent_id})
    return True


@never_cache
@route()
def otp_enrol(request):
    """Enrol a TOTP authenticator: scan the QR code, give the first code."""
    user = request.user
    enrolled = user_has_device(user)
    device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
    if request.method == "POST" and device is not None:
        if otp_enrol_confirm(actor=user, device=device, token=request.POST.get("token", "").strip()):
            otp_login(request, device)
            messages.success(request, _("The authenticator is enrolled; it will be asked for at every sign-in."))
            return redirect(_next(request))
        messages.error(request, _("The code is not correct; check the time on your phone and try again."))
    if not enrolled and device is None:
        device = otp_enrol_start(actor=user)
    return render(request, "core/otp_enrol.html", {
        "enrolled": enrolled, "required": settings.WAGEGUARD_2FA == "required",
        "qr": _qr_data_uri(device.config_url) if device is not None and not enrolled else "",
        "secret": base64.b32encode(device.bin_key).decode() if device is not None and not enrolled else ""})


@never_cache
@route()
def otp_verify(request):
    """The one-time code after the password; django-otp throttles wrong codes per device."""
    user = request.user
    if user.is_verified():
        return redirect(_next(request))
    if request.method == "POST":
        token = request.POST.get("token", "").strip()
        for device in TOTPDevice.objects.filter(user=user, confirmed=True):
            if device.verify_token(token):
                otp_login(request, device)
                audit.record(actor=user, action="core.otp_verified", obj=user)
                return redirect(_next(request))
        audit.record(actor=user, action="core.otp_failed", obj=user, after={"address": _address(request)})
        messages.error(request, _("The code is not correct."))
    return render(request, "core/otp_verify.html", {})
