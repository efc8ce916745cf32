"""Who is on the other end of a request or a socket: a phone's participant cookie, and the
language the page was served in. Views, consumers and the language middleware all ask here."""

from django.conf import settings

# A phone keeps its participant for a week: long enough for a workshop that spans two days.
COOKIE_MAX_AGE = 7 * 24 * 3600


def participant_cookie(code: str) -> str:
    """The cookie that holds a phone's token for session `code` (one per session)."""
    return f"dna_p_{code}"


def participant_token(cookies, code: str) -> str:
    return cookies.get(participant_cookie(code), "")


def cookie_language(cookies) -> str:
    """Dutch unless the person chose English with the language switch (never the browser's
    Accept-Language: a Dutch workshop should not switch because one phone is set to English)."""
    chosen = cookies.get(settings.LANGUAGE_COOKIE_NAME, "")
    supported = {code for code, _ in settings.LANGUAGES}
    return chosen if chosen in supported else settings.LANGUAGE_CODE


def scope_language(scope) -> str:
    """The language of a WebSocket: the same cookie as the page it was opened from."""
    return cookie_language(scope.get("cookies", {}))
