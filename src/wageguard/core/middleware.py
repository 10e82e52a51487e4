from django.conf import settings
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
