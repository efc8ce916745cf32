"""The path converter for session codes, in URLs and WebSocket routes alike."""

from django.urls import register_converter

from workshop.models import normalize_code


class SessionCodeConverter:
    """A session code as people type it: lower case, spaces and dashes are accepted and
    normalised here, so every view and consumer receives the code as it is stored. A path with
    nothing code-like in it (a NUL byte, say) does not match, and answers 404."""

    regex = "[^/]{1,40}"

    def to_python(self, value: str) -> str:
        code = normalize_code(value)
        if not code:
            raise ValueError("not a session code")
        return code

    def to_url(self, value: str) -> str:
        return value


register_converter(SessionCodeConverter, "code")
