"""The trend charts' geometry: bars stand on the axis and their segments add up to the shares."""

import re

from reviews.charts import HEIGHT, LEVEL_COLOURS, completion_sparkline, compliance_bars, stacked_levels
from reviews.scorecards import DEFAULT_SPEC, CriterionSpec, default_levels
from reviews.selectors import CriterionSummary, WeekTrend

QUALITY, _, PROCESS = DEFAULT_SPEC.criteria


def _week(label: str, criteria: dict[CriterionSpec, tuple[int, ...]]) -> WeekTrend:
    """A week whose ratings of each criterion fall on its levels as counted, lowest first."""
    return WeekTrend(
        label=label,
        reviews=max((sum(counts) for counts in criteria.values()), default=0),
        score=None,
        criteria={
            criterion.key: CriterionSummary(
                criterion, [(level.label, n) for level, n in zip(criterion.levels, counts, strict=True)], 0, None
            )
            for criterion, counts in criteria.items()
        },
        csat_low=0,
        csat_outside=0,
    )


def test_level_bars_stack_exceptional_over_good_over_needs_improvement_down_to_the_axis():
    chart = stacked_levels([_week("2026-W47", {QUALITY: (2, 5, 3)})], criterion=QUALITY, title="Quality")

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


def test_a_five_point_criterion_stacks_its_five_levels_each_in_its_own_colour():
    empathy = CriterionSpec(key="empathy", name="Empathy", scale="five_point", levels=default_levels("five_point"))

    chart = stacked_levels([_week("2026-W47", {empathy: (1, 1, 2, 4, 2)})], criterion=empathy, title="Empathy")

    segments = chart.bars[0].segments
    assert [s.title for s in segments][0] == "2026-W47: Exceptional 20% of 10"
    assert [s.title for s in segments][-1] == "2026-W47: Poor 10% of 10"
    assert len({s.colour for s in segments}) == 5
    assert [label for _, label in chart.legend] == ["Poor", "Needs improvement", "Good", "Very good", "Exceptional"]
    assert [colour for colour, _ in chart.legend] == LEVEL_COLOURS[5]


def test_a_compliance_bar_is_as_high_as_its_share_and_an_empty_week_has_none():
    weeks = [_week("2026-W47", {PROCESS: (4, 6)}), _week("2026-W48", {PROCESS: (0, 0)})]

    chart = compliance_bars(weeks, criterion=PROCESS, title="Process")

    (bar,) = chart.bars[0].segments
    assert (bar.y, bar.height) == (0.4 * HEIGHT, 0.6 * HEIGHT)
    assert bar.title == "2026-W47: Followed internal processes: yes in 60% of 10"
    assert chart.bars[1].segments == []
    assert chart.bars[1].x > chart.bars[0].x and chart.width > chart.bars[1].x


def test_the_axis_reads_0_50_and_100_percent_and_each_week_shows_its_number_of_reviews():
    chart = stacked_levels([_week("2026-W47", {QUALITY: (2, 5, 3)})], criterion=QUALITY, title="Quality")

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
