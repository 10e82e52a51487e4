from django.conf import settings
from django.http import JsonResponse
from django.shortcuts import render
from django.utils import translation
from django.utils.translation import gettext as _
from django_ratelimit.core import get_usage


class LanguageMiddleware:
    """Chinese by default for the console, whatever the browser says; English when chosen.

    The console follows only the language the person picked (the set_language cookie), so an
    official on an English-language browser still gets the Chinese interface. The JSON API answers
    in the language of the request (Accept-Language), as machine clients expect.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path.startswith("/api/"):
            language = translation.get_language_from_request(request)
        elif request.path.startswith("/public/"):  # the published lists are published in Chinese
            language = settings.LANGUAGE_CODE
        else:
            chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME, "")
            language = chosen if chosen in dict(settings.LANGUAGES) else settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()
        response = self.get_response(request)
        response.headers.setdefault("Content-Language", language)
        return response


# Codes for the answers Django itself gives before an API view runs (unknown URL, wrong method, …).
_API_STATUS_CODES = {400: "invalid_request", 403: "forbidden", 404: "not_found", 405: "method_not_allowed",
                     413: "payload_too_large", 500: "internal_error"}


class ApiErrorShapeMiddleware:
    """Every /api/ error answers the one JSON shape, even when no API view produced it (e.g. 405, 404)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if (request.path.startswith("/api/") and response.status_code >= 400
                and not response.get("Content-Type", "").startswith("application/json")):
            code = _API_STATUS_CODES.get(response.status_code, "http_error")
            detail = {"method_not_allowed": f"method {request.method} is not allowed here"}.get(code, code.replace("_", " "))
            shaped = JsonResponse({"error": code, "detail": detail}, status=response.status_code)
            if "Allow" in response:
                shaped["Allow"] = response["Allow"]
            return shaped
        return response


def refusal(request, status: int, code: str, detail: str, retry_after: int | None = None):
    """One answer for a refused request: the API's JSON error shape, or a page in Chinese for people."""
    if request.path.startswith("/api/"):
        response = JsonResponse({"error": code, "detail": detail}, status=status)
    else:
        response = render(request, "core/refused.html", {"title": detail, "detail": detail}, status=status)
    if retry_after is not None:
        response["Retry-After"] = str(max(1, int(retry_after)))
    return response


class BodySizeMiddleware:
    """A request body over the limit is refused with 413 before anything reads it."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length > settings.WAGEGUARD_MAX_BODY_BYTES:
            return refusal(request, 413, "payload_too_large", _("The request is larger than %(mb)d MB.") % {
                "mb": settings.WAGEGUARD_MAX_BODY_BYTES // 2**20})
        return self.get_response(request)


def client_ip(request) -> str:
    """The client's address: REMOTE_ADDR, or behind `WAGEGUARD_TRUSTED_PROXIES` load balancers the entry of
    X-Forwarded-For that the outermost trusted one appended (entries further left are the client's word)."""
    hops = settings.WAGEGUARD_TRUSTED_PROXIES
    if hops:
        forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
        if len(forwarded) >= hops:
            return forwarded[-hops]
    return request.META.get("REMOTE_ADDR", "")


SIGNED_KEY_HEADER = "X-WG-Key"
IN_PROCESS = "wageguard.in_process"  # a WSGI environ key only this process can set (the simulator's transport)
WRITES = ("POST", "PUT", "PATCH", "DELETE")
LOGIN_PATHS = ("/login/", "/login/otp/", "/login/worker/", "/admin/login/")


def _ip(group, request) -> str:
    return client_ip(request)


def _signed_key(group, request) -> str:
    return request.headers.get(SIGNED_KEY_HEADER, "")[:64]


def _signed(request) -> bool:
    """A machine request on the API (a key header elsewhere changes nothing: pages keep their own limits)."""
    return request.path.startswith("/api/") and SIGNED_KEY_HEADER in request.headers


def _person(group, request) -> str:
    return str(request.user.pk)


class RateLimitMiddleware:
    """Rate limits (django-ratelimit's windows on the "ratelimit" cache), each a setting in WAGEGUARD_RATE_LIMITS:
    pages without sign-in and sign-in attempts per address; the signed API per client key, per address, and its
    refused signatures per address; writes per signed-in person. Over a limit: 429 with Retry-After."""

    def __init__(self, get_response):
        self.get_response = get_response

    def _rules(self, request):
        rates = settings.WAGEGUARD_RATE_LIMITS
        user = getattr(request, "user", None)
        if request.path.startswith("/static/"):
            return []
        rules = []
        if _signed(request):
            rules += [("signed_key", _signed_key), ("signed_address", _ip)]
        elif user is None or not user.is_authenticated:
            rules.append(("anonymous", _ip))
        elif request.method in WRITES:
            rules.append(("person_writes", _person))
        if request.method == "POST" and request.path in LOGIN_PATHS:
            rules.append(("login", _ip))
        return [(group, key, rates[group]) for group, key in rules]

    def _over(self, request, group, key, rate, increment=True):
        """Seconds to wait when over the limit (counting this request, or — for a peek — if it were counted)."""
        usage = get_usage(request, group=f"wageguard.{group}", key=key, rate=rate, increment=increment)
        if not usage:
            return None
        over = usage["should_limit"] if increment else usage["count"] >= usage["limit"]
        return usage["time_left"] if over else None

    def _limited(self, request, retry_after):
        return refusal(request, 429, "rate_limited", _("Too many requests; try again in %(seconds)d seconds.") % {
            "seconds": max(1, int(retry_after))}, retry_after)

    def __call__(self, request):
        if not getattr(settings, "RATELIMIT_ENABLE", True) or request.META.get(IN_PROCESS):
            return self.get_response(request)
        signed = _signed(request)
        failures = settings.WAGEGUARD_RATE_LIMITS["signed_failures"]
        if signed and (wait := self._over(request, "signed_failures", _ip, failures, increment=False)) is not None:
            return self._limited(request, wait)
        for group, key, rate in self._rules(request):
            if (wait := self._over(request, group, key, rate)) is not None:
                return self._limited(request, wait)
        response = self.get_response(request)
        if signed and response.status_code == 401:
            self._over(request, "signed_failures", _ip, failures)
        return response
