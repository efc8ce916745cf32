from django.conf import settings
from django.utils import translation


class LanguageCookieMiddleware:
    """Dutch for everyone unless they chose English with the language switch.

    Django's LocaleMiddleware would follow the browser's Accept-Language; a Dutch workshop
    should not switch language because one colleague's phone is set to English.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        language = cookie_language(request.COOKIES)
        translation.activate(language)
        request.LANGUAGE_CODE = language
        response = self.get_response(request)
        response.headers.setdefault("Content-Language", language)
        return response


def cookie_language(cookies) -> str:
    chosen = cookies.get(settings.LANGUAGE_COOKIE_NAME, "")
    supported = {code for code, _ in settings.LANGUAGES}
    return chosen if chosen in supported else settings.LANGUAGE_CODE
