"""The colours of the charts, in one place.

SVG fills are attributes, not CSS, so that the PDF renderer (which ignores CSS fills) draws them
in colour too. static/css/app.css declares the same values as --accent and --phase-N; a test
keeps the two in step.
"""

ACCENT = "#3b2db8"
# The first round beside the second (workshop/results.py ShiftRow): a muted tone of the accent.
EARLIER = "#8f8aad"
PHASE_COLORS = {1: "#2f80c8", 2: "#b8730f", 3: "#7a45c4", 4: "#2a9a62"}
# The empty part of a scale behind a bar.
TRACK = "#ecebf5"


def phase_color(number: int | None) -> str:
    return PHASE_COLORS.get(number, ACCENT) if number else ACCENT
