"""Agreement between reviewers: Krippendorff's alpha against published worked examples, its
bootstrap interval, leniency, and the pages that show them."""

import numpy as np
import pytest
from django.template.defaultfilters import floatformat
from django.urls import reverse
from hypothesis import given, settings
from hypothesis import strategies as st

from reviews import agreement, services
from reviews.models import Assignment, Review
from reviews.services import week_assign

from .factories import answers

# Krippendorff (2011), "Computing Krippendorff's Alpha-Reliability", example C: four
# observers, twelve units, values 1-5, some missing (None).
EXAMPLE_C = [
    [1, 1, None, 1],
    [2, 2, 3, 2],
    [3, 3, 3, 3],
    [3, 3, 3, 3],
    [2, 2, 2, 2],
    [1, 2, 3, 4],
    [4, 4, 4, 4],
    [1, 1, 2, 1],
    [2, 2, 2, 2],
    [None, 5, 5, 5],
    [None, None, 1, 1],
    [None, None, 3, None],
]
# Example A: two observers, binary data (0 and 1, here levels 1 and 2).
EXAMPLE_A = list(zip([1, 2, 1, 1, 1, 1, 1, 1, 2, 1], [2, 2, 2, 1, 1, 2, 1, 1, 1, 1], strict=True))
# Example B: two observers, nominal categories a-e (levels 1-5), no missing data.
EXAMPLE_B = list(zip([1, 1, 2, 2, 4, 3, 3, 3, 5, 4, 4, 1], [2, 1, 2, 2, 2, 3, 3, 3, 5, 4, 4, 4], strict=True))


def test_alpha_matches_krippendorffs_worked_examples_to_three_decimals():
    assert round(agreement.alpha(EXAMPLE_C, size=5, nominal=True), 3) == 0.743
    assert round(agreement.alpha(EXAMPLE_C, size=5, nominal=False), 3) == 0.815
    assert round(agreement.alpha(EXAMPLE_A, size=2, nominal=True), 3) == 0.095
    assert round(agreement.alpha(EXAMPLE_B, size=5, nominal=True), 3) == 0.692


def test_alpha_is_undefined_with_fewer_than_two_conversations_or_no_variation():
    assert agreement.alpha([[1, 2]], size=3, nominal=False) is None
    assert agreement.alpha([[2, 2], [2, 2], [2, None]], size=3, nominal=False) is None
    result = agreement.agreement([[3, None], [None, None]], size=3, nominal=False)
    assert (result.alpha, result.low, result.conversations) == (None, None, 0)


@settings(max_examples=150, deadline=None)
@given(
    st.lists(st.lists(st.integers(min_value=1, max_value=5), min_size=2, max_size=4), min_size=2, max_size=40),
    st.booleans(),
)
def test_the_bootstraps_formula_is_the_packages_alpha(units, nominal):
    counts = agreement._pairable(agreement.value_counts(units, 5))
    kinds, per_kind = np.unique(counts, axis=0, return_counts=True)

    ours = agreement._alphas(per_kind[None, :].astype(float), kinds, nominal=nominal)[0]

    theirs = agreement.alpha(units, size=5, nominal=nominal)
    if theirs is None:
        assert not np.isfinite(ours)
    else:
        assert ours == pytest.approx(theirs, abs=1e-9)


def test_the_interval_holds_alpha_and_narrows_with_more_conversations():
    rng = np.random.default_rng(3)

    def units(n):
        first = rng.integers(1, 4, n)
        second = np.where(rng.random(n) < 0.8, first, rng.integers(1, 4, n))
        return list(zip(first.tolist(), second.tolist(), strict=True))

    few, many = (
        agreement.agreement(units(40), size=3, nominal=False),
        agreement.agreement(units(4000), size=3, nominal=False),
    )

    for result in (few, many):
        assert result.low <= result.alpha <= result.high
    assert (many.high - many.low) < (few.high - few.low) / 5
    assert many.conversations == 4000
    assert 0.6 < many.alpha < 0.9


def test_each_conversation_keeps_its_own_row_of_counts_and_pairable_ones_are_counted():
    counts = agreement.value_counts([[1, 2], [3, 3], [2, None], [1, 1, 2]], 3)

    # Row by row, as the trend slices them by week.
    assert counts.tolist() == [[1, 1, 0], [0, 0, 2], [0, 1, 0], [2, 1, 0]]
    assert agreement.rated_twice(counts) == 3  # the third has one level only
    assert agreement.value_counts([], 3).shape == (0, 3)


def test_the_interval_is_the_middle_95_percent_of_alpha_over_resampled_conversations():
    units = [(1, 1), (2, 2), (3, 3), (1, 2), (2, 3), (3, 1), (2, 2), (1, 1), (3, 3), (2, 1)] * 2
    counts = agreement.value_counts(units, 3)
    kinds, per_kind = np.unique(counts, axis=0, return_counts=True)
    # The same resamples, each conversation drawn again with replacement, scored by the package.
    draws = np.random.default_rng(0).multinomial(len(counts), per_kind / len(counts), size=agreement.RESAMPLES)
    alphas = [agreement.alpha_of(np.repeat(kinds, draw, axis=0), nominal=False) for draw in draws]
    expected = np.percentile([value for value in alphas if value is not None], [2.5, 97.5])

    result = agreement.agreement(units, size=3, nominal=False)

    assert (result.low, result.high) == pytest.approx(tuple(expected), abs=1e-9)
    assert agreement.agreement(units, size=3, nominal=False) == result, "the same figures on every visit"


def test_alpha_below_two_thirds_asks_for_calibration():
    disagreeing = [(1, 3), (3, 1), (2, 2), (1, 1), (3, 2), (2, 3)]
    agreeing = [(1, 1), (2, 2), (3, 3), (1, 1), (3, 3), (2, 3)]

    assert agreement.agreement(disagreeing, size=3, nominal=False).calibrate
    assert not agreement.agreement(agreeing, size=3, nominal=False).calibrate


def test_leniency_is_the_mean_signed_difference_from_the_other_reviewer():
    rows = agreement.leniency([(10, 1, 2, 100.0, 50.0), (11, 1, 3, 50.0, 50.0), (12, 3, 1, 0.0, 50.0)])

    by_reviewer = {row.reviewer_id: row for row in rows}
    assert [row.reviewer_id for row in rows] == [1, 3, 2]  # most lenient first
    assert (by_reviewer[1].mean_difference, by_reviewer[1].conversations) == (pytest.approx(100 / 3), 3)
    assert (by_reviewer[1].ratings, by_reviewer[2].ratings) == (3, 1)
    assert by_reviewer[1].points == "+33.3" and by_reviewer[1].reading == "more lenient than the other reviewers"
    assert by_reviewer[2].reading == "stricter than the other reviewers"
    assert agreement.leniency([(1, 1, 2, 50.0, 52.0)])[0].reading == "in line with the other reviewers"


def _doubled(team_of_five, lead, quality):
    """Half the week's reviews are second opinions, every review written; `quality(role,
    reviewer, number)` says what each rates quality (tone is always Good)."""
    builder, agents = team_of_five
    settings_ = services.team_settings_get(team=builder.team)
    settings_.second_opinion_percent = 50
    settings_.save()
    week = week_assign(team=builder.team, seed=1)
    seconds = list(Assignment.objects.filter(week=week, role=Assignment.Role.SECOND).select_related("reviewer"))
    for number, second in enumerate(seconds):
        first = (
            Assignment.objects.active()
            .select_related("reviewer")
            .get(conversation=second.conversation, role=Assignment.Role.FIRST)
        )
        for assignment in (first, second):
            level = quality(assignment.role, assignment.reviewer, number)
            services.review_submit(assignment=assignment, answers=answers(quality=level, tone=2))
    builder.team.leads.add(lead)
    return {"team": builder.team, "seconds": seconds, "lead": lead, "agents": agents}


@pytest.fixture
def lead(django_user_model):
    return django_user_model.objects.create_user("lead@ledgerly.example", password="pw")


@pytest.fixture
def doubled(team_of_five, monday, lead):
    """The second reviewer always rates quality one level above the first."""
    return _doubled(team_of_five, lead, lambda role, reviewer, number: 1 + number % 2 + (role == "second"))


def test_the_lead_sees_alpha_per_criterion_with_its_interval_hint_and_leniency(client, doubled):
    client.force_login(doubled["lead"])

    page = client.get(reverse("reviews:agreement", args=[doubled["team"].pk])).content.decode()

    seconds = len(doubled["seconds"])
    assert seconds == 8
    assert f"({seconds} conversations reviewed twice in these weeks)" in page
    quality = agreement.alpha([(1 + n % 2, 2 + n % 2) for n in range(seconds)], size=3, nominal=False)
    assert f"<strong>{floatformat(quality, 3)}</strong>" in page
    assert f"Reviewers agree less than they should on <strong>Quality</strong> ({floatformat(quality, 3)})." in page
    assert "<strong>Tone</strong>" not in page  # all Good: no variation, alpha undefined
    for agent in {second.reviewer for second in doubled["seconds"]}:
        assert f"<td>{agent.name}</td>" in page


def test_agreement_is_for_the_teams_leads_only(client, doubled, django_user_model):
    url = reverse("reviews:agreement", args=[doubled["team"].pk])
    client.force_login(doubled["agents"][0].user)
    assert client.get(url).status_code == 404
    client.force_login(django_user_model.objects.create_user("other@ledgerly.example", password="pw"))
    assert client.get(url).status_code == 404


def test_each_reviewer_sees_only_their_own_leniency(client, team_of_five, monday, lead):
    ana = team_of_five[1][0]
    # Ana rates every quality Exceptional, everyone else Needs improvement.
    world = _doubled(team_of_five, lead, lambda role, reviewer, number: 3 if reviewer == ana else 1)
    doubled_conversations = [second.conversation_id for second in world["seconds"]]
    assert Review.objects.filter(reviewer=ana, conversation__in=doubled_conversations).exists()
    client.force_login(ana.user)

    page = client.get(reverse("reviews:written")).content.decode()

    # +100 points on quality, 0 on tone and process: +33.3 on average.
    assert "you rated <strong>+33.3 points</strong> on average" in page
    assert "more lenient than the other reviewers" in page
    assert "Leniency per reviewer" not in page
    client.force_login(world["agents"][1].user)
    other = client.get(reverse("reviews:written")).content.decode()
    assert "+33.3" not in other


def test_the_agreement_page_has_a_fixed_number_of_queries(client, doubled, django_assert_max_num_queries):
    client.force_login(doubled["lead"])

    # Session, user, the menu's three, the team, its weeks, its scorecard's four, the
    # ratings, the helpfulness, the reviewers: 52 weeks cost what one does.
    with django_assert_max_num_queries(13):
        response = client.get(reverse("reviews:agreement", args=[doubled["team"].pk]), {"weeks": 52})

    assert response.status_code == 200


def test_the_reviewee_says_how_helpful_a_review_was_and_the_lead_sees_it_per_reviewer(client, doubled):
    second = doubled["seconds"][0]
    review = Review.objects.get(assignment=second)
    client.force_login(second.reviewee.user)
    url = reverse("reviews:review_helpful", args=[review.pk])

    page = client.get(reverse("reviews:review_detail", args=[review.pk])).content.decode()
    refused = client.post(url, {"helpfulness": "7"}, follow=True).content.decode()
    assert Review.objects.get(pk=review.pk).helpfulness is None
    rated = client.post(url, {"helpfulness": "3"}, follow=True).content.decode()

    assert "Was this review helpful?" in page
    assert "Choose how helpful the review was." in refused
    review.refresh_from_db()
    assert (review.helpfulness, review.seen_at is not None) == (3, True)
    assert 'value="3" class="secondary" aria-pressed="true">Very helpful' in rated
    client.force_login(doubled["lead"])
    agreement_page = client.get(reverse("reviews:agreement", args=[doubled["team"].pk])).content.decode()
    assert f"<tr><td>{second.reviewer.name}</td><td>1</td><td>100%</td><td>3.0</td></tr>" in agreement_page


def test_only_the_reviewee_rates_a_reviews_helpfulness(client, doubled):
    second = doubled["seconds"][0]
    review = Review.objects.get(assignment=second)
    url = reverse("reviews:review_helpful", args=[review.pk])

    for user in (second.reviewer.user, doubled["lead"]):
        client.force_login(user)
        assert client.post(url, {"helpfulness": "1"}).status_code == 403
    outsider = next(a for a in doubled["agents"] if a.pk not in (second.reviewer_id, second.reviewee_id))
    if not Review.objects.filter(conversation=review.conversation, reviewer=outsider).exists():
        client.force_login(outsider.user)
        assert client.post(url, {"helpfulness": "1"}).status_code == 404
    assert Review.objects.get(pk=review.pk).helpfulness is None
