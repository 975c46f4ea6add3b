"""The trend charts' geometry: bars stand on the axis and their segments add up to the shares."""

import re

from reviews.charts import HEIGHT, completion_sparkline, compliance_bars, stacked_levels
from reviews.models import Level
from reviews.selectors import WeekTrend


def _week(label: str, quality: tuple[int, int, int], process: int | None) -> WeekTrend:
    shares = dict(zip(Level.values, quality, strict=True))
    return WeekTrend(label=label, reviews=10, quality=shares, tone=shares, process_percent=process)


def test_level_bars_stack_exceptional_over_good_over_needs_improvement_down_to_the_axis():
    chart = stacked_levels([_week("2026-W47", (20, 50, 30), 60)], criterion="quality", title="Quality")

    segments = chart.bars[0].segments
    assert [s.title for s in segments] == [
        "2026-W47: Exceptional 30% of 10",
        "2026-W47: Good 50% of 10",
        "2026-W47: Needs improvement 20% of 10",
    ]
    assert [(s.y, s.height) for s in segments] == [
        (0, 0.3 * HEIGHT),
        (0.3 * HEIGHT, 0.5 * HEIGHT),
        (0.8 * HEIGHT, 0.2 * HEIGHT),
    ]
    assert chart.legend[0][1] == "Needs improvement"


def test_a_compliance_bar_is_as_high_as_its_share_and_an_empty_week_has_none():
    chart = compliance_bars([_week("2026-W47", (0, 0, 0), 60), _week("2026-W48", (0, 0, 0), None)], title="Process")

    (bar,) = chart.bars[0].segments
    assert (bar.y, bar.height) == (0.4 * HEIGHT, 0.6 * HEIGHT)
    assert bar.title == "2026-W47: processes followed in 60% of 10"
    assert chart.bars[1].segments == []
    assert chart.bars[1].x > chart.bars[0].x and chart.width > chart.bars[1].x


def test_the_axis_reads_0_50_and_100_percent_and_each_week_shows_its_number_of_reviews():
    chart = stacked_levels([_week("2026-W47", (20, 50, 30), 60)], criterion="quality", title="Quality")

    assert chart.gridlines == [(0, "100%"), (HEIGHT / 2, "50%"), (HEIGHT, "0%")]
    assert (chart.bars[0].label, chart.bars[0].count) == ("W47", 10)
    assert chart.outer_width > chart.width


def test_a_sparkline_draws_weeks_with_a_batch_from_0_at_the_bottom_to_100_at_the_top():
    line = completion_sparkline([0, None, 100], who="Maya <Patel>")

    points = re.search(r'points="([^"]+)"', line).group(1).split()
    (x0, y0), (x2, y2) = (map(float, point.split(",")) for point in points)
    assert len(points) == 2  # the week without a batch is left out
    assert y0 > y2 and x2 > x0
    assert 'aria-label="Maya &lt;Patel&gt;: reviews done, week by week: 0%, no batch, 100%"' in line


def test_a_sparkline_with_no_batches_draws_nothing_but_still_says_so():
    line = completion_sparkline([None, None], who="Omar")

    assert "polyline" not in line
    assert "Omar: reviews done, week by week: no batch, no batch" in line
