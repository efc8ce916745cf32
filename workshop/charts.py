"""Geometry for the server-rendered SVG charts. Pure functions: plain numbers in, coordinates out;
the templates only draw what these return."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from assessments.scoring import Band


@dataclass(frozen=True)
class BandStripe:
    phase: str
    label: str
    y: float
    height: float
    label_y: float


@dataclass(frozen=True)
class Series:
    name: str
    segments: tuple[str, ...]  # "x,y x,y ..." per <polyline>: a missing value splits a line
    dots: tuple[tuple[float, float, float], ...]  # (x, y, value)


@dataclass(frozen=True)
class TargetLine:
    """The group's target: a dashed line at the lowest total of the target phase."""

    y: float
    label: str


@dataclass(frozen=True)
class Timeline:
    width: int
    height: int
    left: int
    right: int
    top: int
    bottom: int
    bands: tuple[BandStripe, ...]
    x_labels: tuple[tuple[float, str, str], ...]  # (x, label, SVG text-anchor)
    y_ticks: tuple[tuple[float, int], ...]
    series: tuple[Series, ...]
    target: TargetLine | None = None

    @property
    def plot_width(self) -> int:
        return self.width - self.left - self.right


def _anchor(index: int, count: int) -> str:
    """The first and last date labels are anchored inward, so the chart's box holds them."""
    if count > 1 and index == 0:
        return "start"
    if count > 1 and index == count - 1:
        return "end"
    return "middle"


def timeline(
    labels: Sequence[str],
    series: dict[str, Sequence[float | None]],
    bands: Sequence[Band],
    max_total: int,
    band_labels: Mapping[str, str] | None = None,
    width: int = 720,
    height: int = 300,
    target: tuple[float, str] | None = None,
) -> Timeline:
    """A line per series over the sessions (evenly spaced, oldest left) against the phase bands.

    On the continuous scale a band reaches from its lower end to the next band's lower end;
    the last band reaches the maximum. Each band is labelled with `band_labels[phase]`
    (the phase's name), or its key. `target` (total, label) draws the group's target.
    """
    band_labels = band_labels or {}
    left, right, top, bottom = 40, 16, 12, 40
    plot_w = width - left - right
    plot_h = height - top - bottom
    count = len(labels)

    def x_at(i: int) -> float:
        return left + (plot_w / 2 if count == 1 else plot_w * i / (count - 1))

    def y_at(value: float) -> float:
        return top + plot_h * (1 - value / max_total) if max_total else top + plot_h

    stripes = []
    for i, band in enumerate(bands):
        upper = bands[i + 1].low if i + 1 < len(bands) else max_total
        y_top, y_low = y_at(upper), y_at(band.low)
        stripes.append(BandStripe(band.phase, band_labels.get(band.phase, band.phase),
                                  round(y_top, 1), round(y_low - y_top, 1),
                                  round((y_top + y_low) / 2, 1)))

    built = []
    for name, values in series.items():
        segments: list[list[str]] = [[]]
        dots = []
        for i, value in enumerate(values):
            if value is None:
                if segments[-1]:
                    segments.append([])
                continue
            x, y = round(x_at(i), 1), round(y_at(value), 1)
            segments[-1].append(f"{x},{y}")
            dots.append((x, y, round(value, 1)))
        parts = tuple(" ".join(seg) for seg in segments if seg)
        built.append(Series(name, parts, tuple(dots)))

    return Timeline(
        width=width, height=height, left=left, right=right, top=top, bottom=bottom,
        bands=tuple(stripes),
        x_labels=tuple((round(x_at(i), 1), label, _anchor(i, count))
                       for i, label in enumerate(labels)),
        y_ticks=tuple((round(y_at(v), 1), v) for v in range(0, max_total + 1, 2)),
        series=tuple(built),
        target=TargetLine(round(y_at(target[0]), 1), target[1]) if target else None,
    )
