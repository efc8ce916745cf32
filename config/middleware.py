from django.utils import translation

from workshop.identity import cookie_language


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
