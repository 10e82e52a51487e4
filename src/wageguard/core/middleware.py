from django.conf import settings
from django.http import JsonResponse
from django.utils import translation


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
