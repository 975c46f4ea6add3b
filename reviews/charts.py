"""Server-rendered SVG charts: geometry computed here, drawn by templates/reviews/_stacked_chart.svg."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.utils.html import escape

from .scorecards import CriterionSpec
from .selectors import WeekTrend

# Lowest level first, by the size of the scale: the three-point scale keeps the colours it
# has always had (needs improvement, good, exceptional).
LEVEL_COLOURS = {
    2: ["#c8553d", "#2a9d5c"],
    3: ["#c8553d", "#5b8def", "#2a9d5c"],
    4: ["#c8553d", "#d08a2e", "#5b8def", "#2a9d5c"],
    5: ["#c8553d", "#d08a2e", "#8a8f98", "#5b8def", "#2a9d5c"],
}
BAR_WIDTH, GAP, HEIGHT, LABEL_SPACE = 28, 14, 160, 40
# Left of the plot: the 0/50/100% labels; above it: room for the top label's text.
AXIS_WIDTH, TOP_SPACE = 36, 8
COMPLIANCE_COLOUR = "#6c5ce7"


@dataclass(frozen=True)
class Segment:
    y: float
    height: float
    colour: str
    title: str


@dataclass(frozen=True)
class Bar:
    x: float
    label: str
    count: int  # reviews that week, printed under its label
    segments: list[Segment]


@dataclass(frozen=True)
class StackedChart:
    title: str
    width: int
    height: int
    plot_height: int
    bars: list[Bar]
    legend: list[tuple[str, str]]
    gridlines: list[tuple[float, str]]  # (y, label): 0%, 50% and 100%
    axis_width: int = AXIS_WIDTH
    top_space: int = TOP_SPACE

    @property
    def outer_width(self) -> int:
        return self.axis_width + self.width

    @property
    def outer_height(self) -> int:
        return self.top_space + self.height


Stack = Callable[[WeekTrend], list[tuple[int, str, str]]]


def _chart(trends: list[WeekTrend], *, title: str, legend: list[tuple[str, str]], stack: Stack) -> StackedChart:
    """One bar a week standing on the axis, 100% high at most, its segments drawn top-down in
    the order `stack` gives them as (percent, colour, what the segment's tooltip says)."""
    bars = []
    for index, trend in enumerate(trends):
        parts = stack(trend)
        top = HEIGHT - HEIGHT * min(sum(percent for percent, _, _ in parts), 100) / 100
        segments = []
        for percent, colour, title_text in parts:
            height = HEIGHT * percent / 100
            if height:
                segments.append(Segment(y=round(top, 1), height=round(height, 1), colour=colour, title=title_text))
            top += height
        bars.append(
            Bar(x=GAP + index * (BAR_WIDTH + GAP), label=trend.label[-3:], count=trend.reviews, segments=segments)
        )
    return StackedChart(
        title=title,
        width=GAP + len(trends) * (BAR_WIDTH + GAP),
        height=HEIGHT + LABEL_SPACE,
        plot_height=HEIGHT,
        bars=bars,
        legend=legend,
        gridlines=[(HEIGHT * (100 - percent) / 100, f"{percent}%") for percent in (100, 50, 0)],
    )


def stacked_levels(trends: list[WeekTrend], *, criterion: CriterionSpec, title: str) -> StackedChart:
    """One 100% bar a week, split into the criterion's levels, the highest on top."""
    colours = LEVEL_COLOURS[criterion.size]

    def stack(trend: WeekTrend) -> list[tuple[int, str, str]]:
        rated = sum(count for _, count in trend.criteria[criterion.key].counts)
        shares = trend.shares(criterion.key)
        return [
            (percent, colours[index], f"{trend.label}: {label} {percent}% of {rated}")
            for index, (label, percent) in reversed(list(enumerate(shares)))
        ]

    legend = [(colours[index], level.label) for index, level in enumerate(criterion.levels)]
    return _chart(trends, title=title, legend=legend, stack=stack)


def compliance_bars(trends: list[WeekTrend], *, criterion: CriterionSpec, title: str) -> StackedChart:
    """One bar a week, standing on the axis: the share of a yes/no criterion's ratings that
    said yes (the internal processes followed, on the default scorecard)."""

    def stack(trend: WeekTrend) -> list[tuple[int, str, str]]:
        rated = sum(count for _, count in trend.criteria[criterion.key].counts)
        percent = trend.shares(criterion.key)[-1][1]
        return [(percent, COMPLIANCE_COLOUR, f"{trend.label}: {criterion.name}: yes in {percent}% of {rated}")]

    return _chart(trends, title=title, legend=[(COMPLIANCE_COLOUR, criterion.name)], stack=stack)


def criterion_charts(trends: list[WeekTrend], criteria: tuple[CriterionSpec, ...]) -> list[StackedChart]:
    """A chart per criterion: yes/no as the share of yes, the others split by level."""
    return [
        compliance_bars(trends, criterion=criterion, title=f"{criterion.name} per week")
        if criterion.size == 2
        else stacked_levels(trends, criterion=criterion, title=f"{criterion.name} per week")
        for criterion in criteria
    ]


SPARK_WIDTH, SPARK_HEIGHT, SPARK_COLOUR = 84, 22, "#2a6fdb"


def completion_sparkline(percents: list[int | None], *, who: str) -> str:
    """A small line of an agent's weekly completion (0-100%), weeks without a batch left out,
    as SVG markup. Only numbers and `who` (escaped) go in."""
    points = [(index, percent) for index, percent in enumerate(percents) if percent is not None]
    said = ", ".join("no batch" if percent is None else f"{percent}%" for percent in percents)
    label = escape(f"{who}: reviews done, week by week: {said}")
    size = f'class="spark" width="{SPARK_WIDTH}" height="{SPARK_HEIGHT}"'
    if not points:
        return f'<svg {size} role="img" aria-label="{label}"></svg>'
    step = (SPARK_WIDTH - 6) / max(len(percents) - 1, 1)

    def xy(index: int, percent: int) -> str:
        return f"{3 + index * step:.1f},{3 + (SPARK_HEIGHT - 6) * (100 - percent) / 100:.1f}"

    last_x, last_y = xy(*points[-1]).split(",")
    return (
        f'<svg {size} viewBox="0 0 {SPARK_WIDTH} {SPARK_HEIGHT}" role="img" aria-label="{label}"><title>{label}</title>'
        f'<polyline points="{" ".join(xy(*point) for point in points)}" fill="none" stroke="{SPARK_COLOUR}"'
        f' stroke-width="1.5"/><circle cx="{last_x}" cy="{last_y}" r="2.5" fill="{SPARK_COLOUR}"/></svg>'
    )
