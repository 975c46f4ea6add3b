"""Server-rendered SVG charts: geometry computed here, drawn by templates/reviews/_stacked_chart.svg."""

from __future__ import annotations

from dataclasses import dataclass

from .models import Level
from .selectors import WeekTrend

LEVEL_COLOURS = {
    Level.NEEDS_IMPROVEMENT: "#c8553d",
    Level.GOOD: "#5b8def",
    Level.EXCEPTIONAL: "#2a9d5c",
}
BAR_WIDTH, GAP, HEIGHT, LABEL_SPACE = 28, 14, 160, 34
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
    segments: list[Segment]


@dataclass(frozen=True)
class StackedChart:
    title: str
    width: int
    height: int
    plot_height: int
    bars: list[Bar]
    legend: list[tuple[str, str]]


def stacked_levels(trends: list[WeekTrend], *, criterion: str, title: str) -> StackedChart:
    """One 100% bar a week, split into needs improvement / good / exceptional."""
    bars = []
    for index, trend in enumerate(trends):
        shares = getattr(trend, criterion)
        top = 0.0
        segments = []
        for level in (Level.EXCEPTIONAL, Level.GOOD, Level.NEEDS_IMPROVEMENT):
            height = HEIGHT * shares[level] / 100
            if height:
                segments.append(
                    Segment(
                        y=round(top, 1),
                        height=round(height, 1),
                        colour=LEVEL_COLOURS[level],
                        title=f"{trend.label}: {level.label} {shares[level]}% of {trend.reviews}",
                    )
                )
            top += height
        bars.append(Bar(x=GAP + index * (BAR_WIDTH + GAP), label=trend.label[-3:], segments=segments))
    return StackedChart(
        title=title,
        width=GAP + len(trends) * (BAR_WIDTH + GAP),
        height=HEIGHT + LABEL_SPACE,
        plot_height=HEIGHT,
        bars=bars,
        legend=[(LEVEL_COLOURS[level], level.label) for level in Level],
    )


def compliance_bars(trends: list[WeekTrend], *, title: str) -> StackedChart:
    """One bar a week: the share of reviews that found the internal processes followed."""
    bars = []
    for index, trend in enumerate(trends):
        percent = trend.process_percent or 0
        height = HEIGHT * percent / 100
        segments = (
            [
                Segment(
                    y=round(HEIGHT - height, 1),
                    height=round(height, 1),
                    colour=COMPLIANCE_COLOUR,
                    title=f"{trend.label}: processes followed in {percent}% of {trend.reviews}",
                )
            ]
            if height
            else []
        )
        bars.append(Bar(x=GAP + index * (BAR_WIDTH + GAP), label=trend.label[-3:], segments=segments))
    return StackedChart(
        title=title,
        width=GAP + len(trends) * (BAR_WIDTH + GAP),
        height=HEIGHT + LABEL_SPACE,
        plot_height=HEIGHT,
        bars=bars,
        legend=[(COMPLIANCE_COLOUR, "Followed internal processes")],
    )
