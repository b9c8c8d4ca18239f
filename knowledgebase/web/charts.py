"""Bar charts drawn on the server as SVG: the geometry here, the markup in
`templates/components/chart.html`.

No chart library: a horizontal bar per item, its label above it and its value after it, which
reads at any width (long programme names never collide) and needs no script. Bars are styled by
classes in the site's stylesheet, never a `style` attribute, so the strict CSP holds. The chart
is an image with a title and a one-line description for screen readers; the table printed with
each chart is the full accessible version.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

#: The drawing's own units (its viewBox); it scales to the width of its column, up to 1.33 times
#: (the stylesheet's max-width), so its 14-unit text reads at 12 px on a phone and 19 px at most.
WIDTH = 420
#: Room after the longest bar for its value ("£1,234,567").
VALUE_ROOM = 90
LABEL_HEIGHT = 20
BAR_HEIGHT = 18
GAP = 10
ROW = LABEL_HEIGHT + BAR_HEIGHT + GAP


@dataclass(frozen=True)
class Bar:
    label: str
    value: float
    text: str  #: the value as people read it
    label_y: int  #: baseline of the label
    y: int  #: top of the bar
    width: float
    value_x: float
    value_y: int


@dataclass(frozen=True)
class BarChart:
    id: str
    title: str
    description: str
    bars: tuple[Bar, ...]
    width: int
    height: int
    bar_height: int = BAR_HEIGHT


def bar_chart(
    id: str,
    title: str,
    items: Sequence[tuple[str, float]],
    formatted: Callable[[float], str] = lambda value: f"{value:,}",
) -> BarChart:
    """A horizontal bar chart of (label, value) items in the order given; bars are in proportion
    to the largest value (a chart of zeros has no bars)."""
    largest = max((value for _, value in items), default=0)
    scale = (WIDTH - VALUE_ROOM) / largest if largest > 0 else 0
    bars = []
    for number, (label, value) in enumerate(items):
        top = number * ROW
        width = round(max(value, 0) * scale, 1)
        bars.append(
            Bar(
                label=label,
                value=value,
                text=formatted(value),
                label_y=top + LABEL_HEIGHT - 6,
                y=top + LABEL_HEIGHT,
                width=width,
                value_x=round(width + 6, 1),
                value_y=top + LABEL_HEIGHT + BAR_HEIGHT - 4,
            )
        )
    return BarChart(
        id=id,
        title=title,
        description=_describe(items, formatted),
        bars=tuple(bars),
        width=WIDTH,
        height=max(ROW * len(items) - GAP, 1),
    )


def _describe(items, formatted) -> str:
    """The chart in one sentence: how many bars and the largest, pointing to the table."""
    if not items:
        return "There is nothing to show yet."
    largest = max(value for _, value in items)
    leaders = [label for label, value in items if value == largest]
    most = leaders[0] if len(leaders) == 1 else f"{', '.join(leaders[:-1])} and {leaders[-1]}"
    return (
        f"Bar chart of {len(items)} bars; the largest is {most} with {formatted(largest)}. "
        "The table after the chart gives every figure."
    )


def money(value: float | None) -> str:
    """Pounds as people write them: £12,500, or £12,500.50 for a median between two values."""
    if value is None:
        return "not known"
    if float(value).is_integer():
        return f"£{int(value):,}"
    return f"£{value:,.2f}"
