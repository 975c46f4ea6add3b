"""A lead shapes the scorecard; reviews follow it: levels, N/A, weights, critical criteria,
notes required when low, root causes, CSAT in context, start/stop/continue and the score."""

import csv
import dataclasses
import io
import re
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils.html import escape

from reviews import selectors, services
from reviews.models import Assignment, Rating, Review, Scorecard, TeamSettings
from reviews.scorecards import DEFAULT_SPEC, CriterionSpec, RatingAnswer, default_levels, review_score
from reviews.services import week_assign

from .factories import MONDAY, answers, review_form

pytestmark = pytest.mark.django_db

QUALITY, TONE, PROCESS = DEFAULT_SPEC.criteria


# --- The quality score ---------------------------------------------------------------------


def test_each_rating_is_placed_along_its_scale_and_the_review_is_their_mean():
    # Good on three points is 50%, Exceptional 100%, Yes 100%.
    assert review_score([(QUALITY, 2), (TONE, 3), (PROCESS, 2)]) == pytest.approx(250 / 3)
    assert review_score([(QUALITY, 1), (TONE, 1), (PROCESS, 1)]) == 0


def test_na_is_left_out_and_weights_count():
    four = CriterionSpec(key="k", name="Knowledge", scale="four_point", levels=default_levels("four_point"), weight=3)

    # Knowledge: Good on four points is 67%, weighted three times against Quality's 0%.
    assert review_score([(QUALITY, 1), (four, 3)]) == pytest.approx((0 + 3 * 200 / 3) / 4)
    assert review_score([(QUALITY, 3), (four, None)]) == 100
    assert review_score([(four, None)]) is None


def test_a_critical_criterion_at_its_lowest_level_makes_the_review_zero():
    critical = CriterionSpec(
        key="privacy", name="Privacy", scale="yes_no", levels=default_levels("yes_no"), critical=True
    )

    assert review_score([(QUALITY, 3), (TONE, 3), (critical, 1)]) == 0
    assert review_score([(QUALITY, 3), (TONE, 3), (critical, 2)]) == 100
    assert review_score([(QUALITY, 1), (TONE, 3), (PROCESS, 1)]) == pytest.approx(100 / 3)  # not critical


# --- A lead shapes the scorecard -------------------------------------------------------------


@pytest.fixture
def team(team_of_five, monday):
    builder, agents = team_of_five
    week_assign(team=builder.team)
    lead = get_user_model().objects.create_user("lee@ledgerly.example", email="lee@ledgerly.example", password="pw")
    builder.team.leads.add(lead)
    return {"team": builder.team, "agents": agents, "lead": lead, "builder": builder}


def criterion_form(**fields):
    return {"version": 1, "name": "Product knowledge", "scale": "four_point", "weight": 2, "low_levels": 1, **fields}


def test_a_lead_adds_a_criterion_with_its_own_scale_and_it_is_a_new_version(client, team):
    client.force_login(team["lead"])

    response = client.post(
        reverse("reviews:criterion_new", args=[team["team"].pk]),
        criterion_form(
            description="Knows plans and limits",
            level_4_label="Expert",
            level_4_definition="Knows the edge cases.",
            allow_na="on",
        ),
    )

    assert response.status_code == 302
    current = selectors.scorecard_now(team=team["team"])
    assert current.version == 2  # the default kept as version 1
    added = current.criteria[-1]
    assert (added.key, added.scale, added.weight, added.allow_na) == ("product_knowledge", "four_point", 2, True)
    assert [level.label for level in added.levels] == ["Poor", "Needs improvement", "Good", "Expert"]
    assert added.levels[3].definition == "Knows the edge cases."
    assert [criterion.key for criterion in current.criteria[:3]] == ["quality", "tone", "process"]
    page = client.get(reverse("reviews:scorecard", args=[team["team"].pk])).content.decode()
    assert "Product knowledge" in page and "Expert" in page and "Weight 2 · N/A allowed" in page
    assert "Version 2." in page and "(the default:" not in page
    assert "Knows plans and limits" in page
    assignment = Assignment.objects.filter(reviewer=team["agents"][0]).first()
    client.force_login(team["agents"][0].user)
    form = client.get(reverse("reviews:review", args=[assignment.pk])).content.decode()
    assert "Product knowledge <small>Knows plans and limits</small>" in form


def test_until_a_lead_changes_it_the_scorecard_page_shows_the_default(client, team):
    client.force_login(team["lead"])

    page = client.get(reverse("reviews:scorecard", args=[team["team"].pk])).content.decode()

    assert "Version 1 (the default: Carousel's original design)." in page
    assert "No version saved yet" in page
    assert not Scorecard.objects.exists()


def test_a_new_scale_with_untouched_levels_takes_the_new_scales_names(client, team):
    client.force_login(team["lead"])
    url = reverse("reviews:criterion_edit", args=[team["team"].pk, "tone"])
    shown = {
        f"level_{level.value}_{part}": getattr(level, part) for level in TONE.levels for part in ("label", "definition")
    }

    client.post(url, criterion_form(name="Tone", scale="five_point", **shown))

    tone = selectors.scorecard_now(team=team["team"]).criterion("tone")
    assert [level.label for level in tone.levels] == ["Poor", "Needs improvement", "Good", "Very good", "Exceptional"]


def test_a_bad_criterion_is_refused_in_words_and_keeps_what_was_typed(client, team):
    client.force_login(team["lead"])

    response = client.post(
        reverse("reviews:criterion_new", args=[team["team"].pk]),
        criterion_form(
            scale="yes_no", low_levels=2, level_1_label="Fine", level_2_label="Fine", root_causes="A\n" * 21
        ),
    )

    page = response.content.decode()
    assert response.status_code == 400
    assert "A yes / no scale has 2 levels: at most 1 can be low." in page
    assert "Give each level its own name: two of them are the same." in page
    assert "Keep it to 20 root causes; there are 21." in page
    assert 'value="Product knowledge"' in page
    assert not Scorecard.objects.exists()


def test_archiving_and_reordering_are_versions_too_and_the_last_criterion_stays(client, team):
    client.force_login(team["lead"])
    base = reverse("reviews:scorecard", args=[team["team"].pk])

    client.post(f"{base}process/move/", {"version": 1, "direction": "up"})
    client.post(f"{base}tone/archive/", {"version": 2})

    current = selectors.scorecard_now(team=team["team"])
    assert current.version == 3
    assert [criterion.key for criterion in current.criteria] == ["quality", "process"]
    client.post(f"{base}quality/archive/", {"version": 3})
    response = client.post(f"{base}process/archive/", {"version": 4}, follow=True)
    assert flashes(response)[-1:] == [
        '<p class="flash flash-error" role="status">A scorecard needs at least one criterion: add another before '
        "archiving this one.</p>"
    ]
    assert [criterion.key for criterion in selectors.scorecard_now(team=team["team"]).criteria] == ["process"]
    gone = client.post(f"{base}tone/move/", {"version": 4, "direction": "down"}, follow=True)
    assert flashes(gone)[-1:] == [
        '<p class="flash flash-error" role="status">That criterion is not on the scorecard any more.</p>'
    ]
    gone = client.post(f"{base}tone/archive/", {"version": 4}, follow=True)
    assert flashes(gone)[-1:] == [
        '<p class="flash flash-error" role="status">That criterion is not on the scorecard any more.</p>'
    ]
    # Every version says who saved it; the first is Carousel's default.
    versions = page_of(client, base).split("<h2>Versions</h2>")[1]
    assert versions.count("lee@ledgerly.example") == 3 and "Carousel (the default)" in versions


def flashes(response) -> list[str]:
    """The messages the page shows, the one just added last (earlier ones wait to be shown)."""
    return re.findall(r'<p class="flash [^"]+" role="status">.*?</p>', response.content.decode())


def page_of(client, url: str) -> str:
    return client.get(url).content.decode()


def test_moving_a_criterion_keeps_the_lead_s_own_criteria_in_their_new_order(client, team):
    client.force_login(team["lead"])
    client.post(reverse("reviews:criterion_new", args=[team["team"].pk]), criterion_form())
    base = reverse("reviews:scorecard", args=[team["team"].pk])

    moved = client.post(f"{base}product_knowledge/move/", {"version": 2, "direction": "up"}, follow=True)

    assert flashes(moved)[-1:] == [
        '<p class="flash flash-success" role="status">Order saved as scorecard version 3.</p>'
    ]
    keys = [criterion.key for criterion in selectors.scorecard_now(team=team["team"]).criteria]
    assert keys == ["quality", "tone", "product_knowledge", "process"]


def test_a_criterion_added_again_after_archiving_starts_a_history_of_its_own(client, team):
    client.force_login(team["lead"])
    url = reverse("reviews:criterion_new", args=[team["team"].pk])
    client.post(url, criterion_form(name="Empathy"))
    client.post(reverse("reviews:criterion_archive", args=[team["team"].pk, "empathy"]), {"version": 2})

    client.post(url, criterion_form(name="Empathy", version=3))

    assert selectors.scorecard_now(team=team["team"]).criteria[-1].key == "empathy_2"


def test_a_scorecard_without_criteria_is_refused(team):
    with pytest.raises(services.ScorecardError, match=r"^A scorecard needs at least one criterion\.$"):
        services.scorecard_save(team=team["team"], user=team["lead"], based_on=1, criteria=())


def test_saving_the_untouched_default_first_makes_one_version_not_two(team):
    saved = services.scorecard_save(team=team["team"], user=team["lead"], based_on=1, criteria=DEFAULT_SPEC.criteria)

    assert saved.version == 1
    assert list(Scorecard.objects.filter(team=team["team"]).values_list("version", flat=True)) == [1]


def test_changing_one_criterion_keeps_the_others_of_the_latest_version_not_the_defaults(team):
    added = services.criterion_save(
        team=team["team"],
        user=team["lead"],
        based_on=1,
        criterion=CriterionSpec(key="knowledge", name="Product knowledge", scale="four_point", levels=()),
    )
    tone = next(criterion for criterion in added.criteria if criterion.key == "tone")

    changed = services.criterion_save(
        team=team["team"],
        user=team["lead"],
        based_on=added.version,
        criterion=dataclasses.replace(tone, name="Tone of voice"),
    )

    assert [c.name for c in changed.criteria] == [
        "Quality",
        "Tone of voice",
        "Followed internal processes",
        "Product knowledge",
    ]
    assert Scorecard.objects.get(team=team["team"], version=changed.version).created_by == team["lead"]


def test_the_last_but_one_criterion_moves_down_to_the_end(team):
    moved = services.criterion_move(team=team["team"], user=team["lead"], based_on=1, key="tone", offset=1)

    assert [c.key for c in moved.criteria] == ["quality", "process", "tone"]


def test_the_default_version_is_dated_by_the_first_review_that_used_it(team):
    assignment = Assignment.objects.filter(reviewer=team["agents"][0]).first()

    services.review_submit(assignment=assignment, answers=answers(), now=MONDAY + timedelta(hours=3))

    (version,) = Scorecard.objects.all()
    assert (version.version, version.created_at, version.created_by) == (1, MONDAY + timedelta(hours=3), None)


def test_a_change_made_on_an_old_version_is_refused_not_lost(client, team):
    client.force_login(team["lead"])
    url = reverse("reviews:criterion_new", args=[team["team"].pk])
    client.post(url, criterion_form())  # version 2

    response = client.post(url, criterion_form(name="Empathy"))  # still based on version 1

    assert response.status_code == 400
    assert "Someone saved a new version of the scorecard while you were editing" in response.content.decode()
    assert 'value="Empathy"' in response.content.decode()
    assert [c.name for c in selectors.scorecard_now(team=team["team"]).criteria][-1] == "Product knowledge"


def test_a_criterion_named_like_a_form_field_gets_a_key_of_its_own():
    assert services.new_key("Share as example", set()) == "share_as_example_2"
    assert services.new_key("Quality", {"quality"}) == "quality_2"
    assert services.new_key("Tone", {"tone", "tone_2"}) == "tone_3"
    assert services.new_key("New", set()) == "new_2"
    assert services.new_key("Product knowledge", set()) == "product_knowledge"
    # Nor one whose fields meet another criterion's note or root causes.
    assert services.new_key("Quality note", {"quality"}) == "quality_note_2"
    assert services.new_key("Foo", {"foo_note"}) == "foo_2"
    # Short enough for its suffix and its fields' names; a name of no letters still gets one.
    assert services.new_key("Knows " * 10, set()) == "knows_knows_knows_knows_knows_"
    assert services.new_key("!!!", set()) == "criterion"


# --- Reviewing on a scorecard the lead shaped ---------------------------------------------


KNOWLEDGE = CriterionSpec(
    key="knowledge",
    name="Product knowledge",
    scale="five_point",
    levels=default_levels("five_point"),
    allow_na=True,
    weight=2,
    low_levels=2,
    note_required_when_low=True,
    root_causes=("Wrong plan limits", "Outdated help article"),
)
PRIVACY = CriterionSpec(key="privacy", name="Privacy", scale="yes_no", levels=default_levels("yes_no"), critical=True)


@pytest.fixture
def shaped(team):
    """The team's scorecard: the default three, a weighted five-point criterion and a critical one."""
    services.scorecard_save(
        team=team["team"], user=team["lead"], based_on=1, criteria=(*DEFAULT_SPEC.criteria, KNOWLEDGE, PRIVACY)
    )
    ana = team["agents"][0]
    assignment = Assignment.objects.filter(reviewer=ana).select_related("conversation", "reviewee__user").first()
    return {**team, "ana": ana, "assignment": assignment}


def post_review(client, assignment, **fields):
    data = review_form(**{"knowledge": "4", "privacy": "2", **fields})
    return client.post(reverse("reviews:review", args=[assignment.pk]), data)


def test_the_form_asks_every_criterion_with_na_and_shortcuts_numbered_along(client, shaped):
    client.force_login(shaped["ana"].user)

    page = client.get(reverse("reviews:review", args=[shaped["assignment"].pk])).content.decode()

    assert "Product knowledge" in page and "Very good" in page and "Privacy" in page
    assert 'name="knowledge" value="na"' in page  # N/A allowed there
    assert 'name="privacy" value="na"' not in page
    assert "Critical" in page
    # Quality 1-3, Tone 4-6, the process y/n; Product knowledge's five levels do not fit in
    # the three digits left, so Privacy (a second yes/no) takes 7 and 8.
    assert 'name="quality" value="3" data-shortcut="3"' in page and 'data-shortcut="y"' in page
    assert 'name="knowledge" value="1" data-shortcut' not in page
    assert 'name="privacy" value="1" data-shortcut="7"' in page
    assert "Scorecard version 2" in page


def test_a_low_rating_needs_its_note_and_keeps_its_root_causes(client, shaped):
    client.force_login(shaped["ana"].user)

    refused = post_review(client, shaped["assignment"], knowledge="2", knowledge_causes=["1"])

    assert refused.status_code == 400
    assert "a note is required when Product knowledge is Needs improvement" in refused.content.decode()
    assert re.search(r'<input type="checkbox" name="knowledge_causes" value="1"[^>]*checked', refused.content.decode())
    post_review(client, shaped["assignment"], knowledge="2", knowledge_causes=["1", "2"], knowledge_note="Old limits.")
    rating = Rating.objects.get(criterion__key="knowledge")
    assert (rating.level, rating.note) == (2, "Old limits.")
    assert sorted(cause.label for cause in rating.root_causes.all()) == ["Outdated help article", "Wrong plan limits"]


def test_root_causes_ticked_on_a_rating_that_is_not_low_are_not_kept(client, shaped):
    client.force_login(shaped["ana"].user)

    post_review(client, shaped["assignment"], knowledge="4", knowledge_causes=["1"], process="no", process_causes=["2"])

    assert not Rating.objects.get(criterion__key="knowledge").root_causes.exists()
    (missed,) = Rating.objects.get(criterion__key="process").root_causes.all()
    assert missed.label == "Tagged the conversation"


def test_the_score_weighs_na_and_a_failed_critical_criterion(client, shaped):
    client.force_login(shaped["ana"].user)

    post_review(client, shaped["assignment"], quality="3", tone="2", process="yes", knowledge="na")
    assert Review.objects.get().score == pytest.approx((100 + 50 + 100 + 100) / 4)  # knowledge left out

    post_review(client, shaped["assignment"], quality="3", tone="3", process="yes", knowledge="5", privacy="1")
    assert Review.objects.get().score == 0


def test_the_reviewee_reads_any_scorecards_levels_and_their_own_score(client, shaped):
    client.force_login(shaped["ana"].user)
    post_review(client, shaped["assignment"], quality="3", tone="2", knowledge="na", knowledge_note="Not asked.")
    client.force_login(shaped["assignment"].reviewee.user)

    page = client.get(reverse("reviews:feedback")).content.decode()

    assert "Quality: <strong" in page and 'Product knowledge: <strong class="grade grade-na">N/A</strong>' in page
    assert 'Privacy: <strong class="grade grade-high">Yes</strong>' in page
    assert "Score: <strong>88%</strong>" in page  # (100 + 50 + 100 + 100) / 4, rounded
    assert "Your quality score: <strong>88%</strong> over 1 review" in page
    assert "Product knowledge: Poor 0 · Needs improvement 0 · Good 0 · Very good 0 · Exceptional 0 · N/A 1" in page


def test_a_teammate_sees_a_highlight_but_not_its_score_and_a_lead_sees_both(client, shaped):
    client.force_login(shaped["ana"].user)
    post_review(client, shaped["assignment"], quality="3", quality_note="Textbook.", share_as_example="on")
    review = Review.objects.get()
    # Not one still to give it a second opinion: they see it only once theirs is in.
    busy = set(Assignment.objects.filter(conversation=review.conversation).values_list("reviewer_id", flat=True))
    teammate = next(a for a in shaped["agents"] if a.pk not in busy | {review.reviewee_id})

    client.force_login(teammate.user)
    shown = client.get(reverse("reviews:highlights")).content.decode()
    client.force_login(shaped["lead"])
    led = client.get(reverse("reviews:highlights")).content.decode()

    assert "Textbook." in shown and "Score:" not in shown
    assert "Textbook." in led and "Score: <strong>" in led


def test_a_low_csat_asks_whether_it_was_in_the_agents_control(client, shaped):
    conversation = shaped["assignment"].conversation
    conversation.csat_rating = 1
    conversation.save()
    client.force_login(shaped["ana"].user)

    refused = post_review(client, shaped["assignment"])
    assert "Say whether the low CSAT rating was within the agent&#x27;s control." in refused.content.decode()
    assert "The customer rated this conversation 1 of 5." in refused.content.decode()

    post_review(client, shaped["assignment"], csat_cause="product")
    assert Review.objects.get().csat_cause == "product"
    client.force_login(shaped["assignment"].reviewee.user)
    page = client.get(reverse("reviews:feedback")).content.decode()
    assert "Low CSAT:</span> outside the agent's control (the product)" in page
    assert "Low CSAT ratings: 1 of 1 were outside your control" in page


def test_a_good_csat_does_not_ask(client, shaped):
    conversation = shaped["assignment"].conversation
    conversation.csat_rating = 4
    conversation.save()
    client.force_login(shaped["ana"].user)

    assert "csat_cause" not in client.get(reverse("reviews:review", args=[shaped["assignment"].pk])).content.decode()
    post_review(client, shaped["assignment"], csat_cause="agent")  # ignored: not asked
    assert Review.objects.get().csat_cause == ""


def test_start_stop_continue_is_a_team_setting(client, shaped):
    client.force_login(shaped["ana"].user)
    url = reverse("reviews:review", args=[shaped["assignment"].pk])
    assert "Start, stop, continue" not in client.get(url).content.decode()
    TeamSettings.objects.create(team=shaped["team"], start_stop_continue=True)

    assert "Start, stop, continue" in client.get(url).content.decode()
    post_review(client, shaped["assignment"], start_note="Check the plan first.", continue_note="The warm sign-off.")

    review = Review.objects.get()
    assert (review.start_note, review.stop_note, review.continue_note) == (
        "Check the plan first.",
        "",
        "The warm sign-off.",
    )
    client.force_login(shaped["assignment"].reviewee.user)
    page = client.get(reverse("reviews:feedback")).content.decode()
    assert "Start:</span> Check the plan first." in page and "Stop:" not in page


def test_an_edit_keeps_the_reviews_own_version_after_the_lead_changes_the_scorecard(client, shaped):
    client.force_login(shaped["ana"].user)
    post_review(client, shaped["assignment"])
    services.criterion_archive(team=shaped["team"], user=shaped["lead"], based_on=2, key="privacy")

    post_review(client, shaped["assignment"], quality="1")

    review = Review.objects.get()
    assert review.scorecard.version == 2
    assert review.ratings.count() == 5 and review.ratings.get(criterion__key="quality").level == 1
    page = client.get(reverse("reviews:review", args=[shaped["assignment"].pk])).content.decode()
    assert "Privacy" in page and "Scorecard version 2" in page


def test_an_edit_to_na_is_in_the_audit_log_in_words(client, shaped):
    from reviews.models import AuditEvent

    client.force_login(shaped["ana"].user)
    post_review(client, shaped["assignment"], knowledge="4")
    post_review(client, shaped["assignment"], knowledge="na")

    edited = AuditEvent.objects.get(action=AuditEvent.Action.REVIEW_EDITED)
    assert edited.changes == {"knowledge": ["Very good", "N/A"]}


def test_answers_for_another_version_are_refused_with_what_to_do(shaped):
    given = answers()  # the default three: the team's scorecard has five now

    with pytest.raises(services.ReviewError, match="scorecard changed while you were writing"):
        services.review_submit(assignment=shaped["assignment"], answers=given)
    assert not Review.objects.exists()


def _save_queries(team, lead, assignment, criteria: tuple[CriterionSpec, ...], version: int) -> tuple[int, int]:
    """Queries to write the review, then to change every answer of it."""
    services.scorecard_save(team=team, user=lead, based_on=version, criteria=criteria)
    counts = []
    for level in (2, 1):  # the second is low: its root cause is kept
        given = {**answers(), "ratings": {c.key: RatingAnswer(level, f"note {level}", (1,)) for c in criteria}}
        with CaptureQueriesContext(connection) as queries:
            services.review_submit(assignment=Assignment.objects.get(pk=assignment.pk), answers=given)
        counts.append(len(queries))
    return counts[0], counts[1]


def test_saving_a_review_costs_the_same_queries_for_three_criteria_or_twelve(team):
    causes = ("Missed step",)
    small = tuple(
        CriterionSpec(
            key=f"c{n}", name=f"C{n}", scale="three_point", levels=default_levels("three_point"), root_causes=causes
        )
        for n in range(3)
    )
    large = tuple(
        CriterionSpec(
            key=f"c{n}", name=f"C{n}", scale="five_point", levels=default_levels("five_point"), root_causes=causes
        )
        for n in range(12)
    )
    first, second = Assignment.objects.filter(reviewer=team["agents"][0])[:2]

    with_three = _save_queries(team["team"], team["lead"], first, small, 1)
    with_twelve = _save_queries(team["team"], team["lead"], second, large, 2)

    # To write: the assignment and its week, the review (none), the scorecard (four) and its
    # team, the team's settings (anonymous or not), the review and its audit, the ratings and
    # their root causes, the assignment done, and the savepoints. To edit, whether it is
    # disputed, then the old ratings are read, compared and replaced.
    assert with_three == with_twelve == (17, 20)
    assert Rating.objects.filter(review__assignment=second).count() == 12
    assert Rating.root_causes.through.objects.filter(rating__review__assignment=second).count() == 12


# --- What leads read --------------------------------------------------------------------------


@pytest.fixture
def reviewed(shaped):
    """Eight reviews on the shaped scorecard: processes missed at the identity check in three."""
    for index, assignment in enumerate(Assignment.objects.filter(week__team=shaped["team"]).order_by("pk")[:8]):
        missed = index < 3
        csat = 2 if index < 4 else None
        assignment.conversation.csat_rating = csat
        assignment.conversation.save()
        services.review_submit(
            assignment=assignment,
            answers=answers(
                followed=not missed,
                missed=(1,) if missed else (),
                csat_cause=("policy" if index else "agent") if csat else "",
                ratings={
                    "knowledge": RatingAnswer(
                        index % 5 + 1, "n" if index % 5 < 2 else "", (2,) if index % 5 < 2 else ()
                    ),
                    "privacy": RatingAnswer(2),
                },
            ),
            now=MONDAY + timedelta(hours=index),
        )
    return shaped


def test_the_reports_show_steps_missed_root_causes_scores_and_low_csat_in_context(client, reviewed):
    client.force_login(reviewed["lead"])

    page = client.get(reverse("reviews:reports", args=[reviewed["team"].pk])).content.decode()

    process = page.split("Followed internal processes <small>")[1].split("</table>")[0]
    assert "3 ratings No" in process
    assert "<td>Verified the customer&#x27;s identity before account changes</td><td>3</td><td>100%</td>" in process
    knowledge = page.split("Product knowledge <small>")[1].split("</table>")[0]
    assert "4 ratings Poor or Needs improvement" in knowledge
    assert "<td>Outdated help article</td><td>4</td><td>100%</td>" in knowledge
    assert "<strong>75%</strong> of the 4 low CSAT ratings reviewed were outside the agent's control" in page
    assert "<li>A policy: 3</li>" in page and "<li>Within the agent&#x27;s control: 1</li>" in page
    week = page.split("<td>2026-W48</td>")[-1].split("</tr>")[0]
    assert "<td>8</td>" in week  # reviews that week, beside the scores per criterion


def test_trends_chart_every_criterion_on_its_own_scale(client, reviewed):
    client.force_login(reviewed["lead"])

    page = client.get(reverse("reviews:trends", args=[reviewed["team"].pk])).content.decode()

    assert page.count('<svg role="img"') == 5
    assert "Product knowledge per week" in page and "2026-W48: Very good 12% of 8" in page
    assert "2026-W48: Privacy: yes in 100% of 8" in page


def test_the_export_has_a_column_per_criterion_with_root_causes_and_the_score(client, reviewed):
    client.force_login(reviewed["lead"])

    response = client.get(reverse("reviews:export_reviews", args=[reviewed["team"].pk]))
    body = b"".join(response.streaming_content).decode().lstrip("\ufeff")
    rows = list(csv.DictReader(io.StringIO(body)))

    header = body.splitlines()[0].split(",")
    assert header[12:] == [
        "quality",
        "quality_note",
        "tone",
        "tone_note",
        "followed_internal_processes",
        "process_note",
        "process_root_causes",
        "product_knowledge",
        "knowledge_note",
        "knowledge_root_causes",
        "privacy",
        "privacy_note",
        "quality_score",
        "low_csat",
        "start",
        "stop",
        "continue",
        "shared_with_team",
        "seen_by_reviewee",
        "replies",
    ]
    first = rows[0]
    assert first["followed_internal_processes"] == "No"
    assert first["process_root_causes"] == "Verified the customer's identity before account changes"
    assert (first["product_knowledge"], first["knowledge_root_causes"]) == ("Poor", "Outdated help article")
    assert (first["low_csat"], first["scorecard_version"]) == ("Within the agent's control", "2")
    assert first["quality_score"] == str(round(Review.objects.order_by("created_at").first().score))


def test_the_agent_page_gives_leads_the_score_per_week(client, reviewed):
    client.force_login(reviewed["lead"])
    reviewee = Review.objects.first().reviewee

    page = client.get(reverse("reviews:agent_detail", args=[reviewed["team"].pk, reviewee.pk])).content.decode()

    assert "Quality score" in page and "Score: <strong>" in page
    assert escape("Product knowledge") in page


def test_no_completion_page_ranks_agents_by_score(client, reviewed):
    client.force_login(reviewed["lead"])

    page = client.get(reverse("reviews:team_week", args=[reviewed["team"].pk])).content.decode()

    assert "quality score" not in page.lower() and "Score:" not in page
