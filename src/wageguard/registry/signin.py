"""A worker signs in with the phone number registered for them and a one-time code by text message, or with their
ID number and a password they set after the first code (`/login/worker/`, phone-sized).

Codes: six digits, valid 5 minutes, 5 wrong tries, used once, at most 5 per number per hour (and the sign-in
attempts per address are rate-limited by the middleware); only an HMAC of the code is stored. A number that is not
registered gets the same answer as one that is (nothing tells who is registered), and no text. A worker whose phone
changed is re-bound by their employer or an official (`worker_set_contact`, audited).
"""
from __future__ import annotations

import datetime
import hmac
import secrets

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import authenticate, login, update_session_auth_hash
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from wageguard.core import audit, clock, sms
from wageguard.core.access import public, route
from wageguard.core.auth import SMS_VERIFIED
from wageguard.core.middleware import client_ip
from wageguard.core.errors import ServiceError
from wageguard.core.models import Role, User
from wageguard.core.pii import blind_index, hmac_sm3
from wageguard.core.transactions import service

from .models import SignInCode, Worker
from .validators import normalise_id_number, validate_phone

CODE_MINUTES = 5
MAX_TRIES = 5
CODES_PER_HOUR = 5          # per number
CODES_PER_DAY = 10          # per number
CODES_PER_ADDRESS_HOUR = 20  # per address: texts cost money and can harass
RESEND_SECONDS = 60
SIGN_IN, COMPLAINT = "sign_in", "complaint"  # what a code is for: a code for one never serves the other


def _digest(phone: str, purpose: str, code: str) -> str:
    return hmac_sm3(settings.SECRET_KEY.encode(), f"{purpose}:{phone}:{code}".encode()).hex()


def worker_login_for(worker: Worker) -> User:
    """The worker's own login, made on their first sign-in (no password until they set one)."""
    user = User.objects.filter(worker=worker, role=Role.WORKER, is_active=True).first()
    if user is None:
        user = User(username=f"worker-{worker.pk}", role=Role.WORKER, worker=worker, first_name=worker.name)
        user.set_unusable_password()
        user.save()
        audit.record(actor=None, action="core.worker_login_created", obj=user, after={"worker": worker.pk})
    return user


MESSAGES = {
    SIGN_IN: gettext_lazy("Your sign-in code is %(code)s, valid for %(minutes)d minutes. Tell it to nobody."),
    COMPLAINT: gettext_lazy("Your code to send a complaint is %(code)s, valid for %(minutes)d minutes. Tell it to nobody."),
}


@service
def code_send(*, phone: str, address: str = "", purpose: str = SIGN_IN) -> str | None:
    """Text a code: for signing in, only to a number one worker is registered with and may use (the same answer
    either way); for a complaint from the notice board, to the number given (it proves that phone). Earlier codes of
    the number stop working. Returns the code only where the demo shows it on screen."""
    phone = validate_phone(phone, "phone")
    index = blind_index(phone)
    now = clock.now()
    recent = SignInCode.objects.filter(phone_index=index, created_at__gte=now - datetime.timedelta(days=1))
    if (recent.filter(created_at__gte=now - datetime.timedelta(hours=1)).count() >= CODES_PER_HOUR or recent.count() >= CODES_PER_DAY
            or (address and SignInCode.objects.filter(address=address[:64], created_at__gte=now - datetime.timedelta(hours=1)).count()
                >= CODES_PER_ADDRESS_HOUR)):
        raise ServiceError("too_many_codes", _("Too many codes for this number; try again later."), "phone", status=429)
    if recent.filter(created_at__gte=now - datetime.timedelta(seconds=RESEND_SECONDS)).exists():
        raise ServiceError("too_soon", _("A code was sent less than a minute ago."), "phone", status=429)
    recent.filter(used_at__isnull=True).update(used_at=now)  # superseded
    code = f"{secrets.randbelow(10**6):06d}"
    SignInCode.objects.create(phone_index=index, code_hash=_digest(phone, purpose, code), address=address[:64], created_at=now,
                              expires_at=now + datetime.timedelta(minutes=CODE_MINUTES))
    if purpose == SIGN_IN and _worker_of(phone) is None:
        return None  # nothing sent, nothing told
    sms.sender().send(phone, str(MESSAGES[purpose]) % {"code": code, "minutes": CODE_MINUTES})
    return code if settings.WAGEGUARD_SMS_SHOW_CODE else None


def _worker_of(phone: str) -> Worker | None:
    """The one worker who may sign in with this number: none if several share it (a foreman's phone for a whole team
    signs nobody in) or if an employer put it there less than the cooling-off ago."""
    workers = list(Worker.objects.filter(phone_index=blind_index(phone))[:2])
    if len(workers) != 1 or (workers[0].phone_usable_from and workers[0].phone_usable_from > clock.now()):
        return None
    return workers[0]


WRONG_CODE = ("wrong_code", gettext_lazy("The code is wrong or has expired. Ask for a new one."), "code")


def code_verify(*, phone: str, code: str, purpose: str = SIGN_IN) -> None:
    """The latest code texted to this number for this purpose is right (and is used up), or refused: wrong, late,
    used up or for another purpose alike."""
    if not _consume(phone=validate_phone(phone, "phone"), code=(code or "").strip(), purpose=purpose):
        raise ServiceError(WRONG_CODE[0], str(WRONG_CODE[1]), WRONG_CODE[2])


@service
def _consume(*, phone: str, code: str, purpose: str) -> bool:
    """One try at the number's latest code (a wrong try is counted and kept, as this transaction commits)."""
    pending = (SignInCode.objects.select_for_update().filter(phone_index=blind_index(phone), used_at__isnull=True)
               .order_by("-created_at", "-id").first())
    if pending is None or pending.expires_at <= clock.now() or pending.attempts >= MAX_TRIES:
        return False
    if not hmac.compare_digest(pending.code_hash, _digest(phone, purpose, code)):
        pending.attempts += 1
        pending.save(update_fields=["attempts"])
        return False
    pending.used_at = clock.now()
    pending.save(update_fields=["used_at"])
    return True


def code_check(*, phone: str, code: str) -> User:
    """The worker's login for a right code; refused alike for a wrong code and a number no worker has. (Not one
    transaction with the try: a refused try must stay counted.)"""
    code_verify(phone=phone, code=code)
    worker = _worker_of(validate_phone(phone, "phone"))
    if worker is None:
        raise ServiceError(WRONG_CODE[0], str(WRONG_CODE[1]), WRONG_CODE[2])
    return _signed_in(worker)


@service
def _signed_in(worker: Worker) -> User:
    user = worker_login_for(worker)
    audit.record(actor=user, action="core.worker_signed_in_by_code", obj=user)
    return user


@service
def password_set(*, actor, password: str) -> None:
    """A signed-in worker sets the password for signing in by ID number."""
    if actor is None or actor.role != Role.WORKER:
        raise ServiceError("forbidden", _("Only a worker sets a password here."), "password")
    try:
        validate_password(password, actor)
    except ValidationError as error:
        raise ServiceError("weak_password", " ".join(error.messages), "password") from None
    if len(password) < 8:
        raise ServiceError("weak_password", _("The password needs at least 8 characters."), "password")
    actor.set_password(password)
    actor.save(update_fields=["password"])
    audit.record(actor=actor, action="core.worker_password_set", obj=actor)


class PhoneForm(forms.Form):
    phone = forms.CharField(label=gettext_lazy("Mobile number"), max_length=11, widget=forms.TextInput(attrs={"inputmode": "numeric"}))
    code = forms.CharField(label=gettext_lazy("Code"), max_length=6, required=False, widget=forms.TextInput(attrs={"inputmode": "numeric"}))


@never_cache
@require_http_methods(["GET", "POST"])
@public()
def sign_in(request):
    """Phone and code (send, then check), or ID number and password."""
    post = request.POST
    phone = post.get("phone", "").strip()
    try:
        if post.get("action") == "send":
            shown = code_send(phone=phone, address=client_ip(request))
            messages.success(request, _("If this number is registered, a code is on its way."))
            if shown:
                messages.info(request, _("Demo: the code is %(code)s") % {"code": shown})
        elif post.get("action") == "verify":
            user = code_check(phone=phone, code=post.get("code", ""))
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            request.session[SMS_VERIFIED] = True
            return redirect("my_work")
        elif post.get("action") == "password":
            return _password_sign_in(request, post.get("id_number", ""), post.get("password", ""))
    except ServiceError as error:
        messages.error(request, str(error.message))
    return render(request, "registry/worker_sign_in.html", {"phone": phone})


def _password_sign_in(request, id_number: str, password: str):
    worker = Worker.objects.filter(id_number_index=blind_index(normalise_id_number(id_number))).first() if id_number else None
    user = User.objects.filter(worker=worker, role=Role.WORKER).first() if worker else None
    signed = authenticate(request, username=user.username if user else f"unknown-{blind_index(id_number)[:12]}", password=password)
    if signed is None:
        messages.error(request, _("The ID number or the password is wrong."))
        return render(request, "registry/worker_sign_in.html", {})
    login(request, signed)
    return redirect("my_work")


@require_http_methods(["GET", "POST"])
@route("me.view")
def password(request):
    """Only in a session opened with a code texted to the worker's phone (a password does not set a new password)."""
    if not request.session.get(SMS_VERIFIED):
        messages.error(request, _("Sign in with a code texted to your phone to set a password."))
        return redirect("worker_sign_in")
    if request.method == "POST":
        try:
            password_set(actor=request.user, password=request.POST.get("password", ""))
        except ServiceError as error:
            messages.error(request, str(error.message))
        else:
            update_session_auth_hash(request, request.user)  # the session (opened with a code) survives the change
            messages.success(request, _("Password set: you can also sign in with your ID number."))
            return redirect("my_work")
    return render(request, "registry/worker_password.html", {})
