"""The WebSocket paths, one per audience, named in one place: the routing maps them to
consumers, and the screens hand them to the templates."""

PHONE = "ws/p/"
CONSOLE = "ws/f/"
PROJECTOR = "ws/projector/"


def phone(code: str) -> str:
    return f"/{PHONE}{code}/"


def console(code: str) -> str:
    return f"/{CONSOLE}{code}/"


def projector(code: str) -> str:
    return f"/{PROJECTOR}{code}/"
