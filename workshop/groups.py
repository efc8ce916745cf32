"""Channel-layer group names, one per audience of a session.

Names must match ^[a-zA-Z0-9\\-_.]+$ and stay under 100 characters; session codes do.
"""


def participants(code: str) -> str:
    return f"session.{code}.participants"


def facilitators(code: str) -> str:
    return f"session.{code}.facilitators"


def projectors(code: str) -> str:
    return f"session.{code}.projectors"
