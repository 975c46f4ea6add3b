"""Calibration sessions: a lead picks conversations and teammates, everyone scores blind, the
lead reveals the spread, records the agreed answer and why, and can make it the scorecard's
example of that level. Calibration scores never reach feedback, the quality score or quota."""

import pytest
from django.urls import reverse
from django.utils.html import escape

from reviews import agreement, services
from reviews.models import (
    AgentWeek,
    Assignment,
    CalibrationAnswer,
    CalibrationScore,
    CalibrationSession,
    LevelExample,
    Rating,
    Review,
)
from reviews.services import week_assign

from .factories import answers, review_form

pytestmark = pytest.mark.django_db


@pytest.fixture
def team(team_of_five, monday, django_user_model):
    """Ana to Eli, a lead, and the conversations of the running week's batch."""
    builder, agents = team_of_five
    lead = django_user_model.objects.create_user("lead@ledgerly.example", email="lead@ledgerly.example", password="pw")
    builder.team.leads.add(lead)
    week_assign(team=builder.team)
    ana, ben, cleo, dev, eli = agents
    return {"team": builder.team, "lead": lead, "builder": builder, **{a.name.lower(): a for a in agents}}


def start(client, team, *, conversations, participants, title="Refund tone, week 48"):
    client.force_login(team["lead"])
    return client.post(
        reverse("reviews:team_calibrations", args=[team["team"].pk]),
        {"title": title, "conversations": [c.pk for c in conversations], "participants": [a.pk for a in participants]},
    )


def score(client, agent, session, item, *, data=None, **levels):
    client.force_login(agent.user)
    return client.post(reverse("reviews:calibration_item", args=[session.pk, item.pk]), data or review_form(**levels))


def free(agent):
    """Conversations of the agent's that nobody has to review this week: what a session may take."""
    return agent.conversations.exclude(assignments__status=Assignment.Status.ASSIGNED).order_by("pk")


@pytest.fixture
def session(client, team):
    """Ana, Ben and Cleo calibrate on one conversation of Dev's and one of Ana's."""
    devs = free(team["dev"]).first()
    anas = free(team["ana"]).first()
    response = start(client, team, conversations=[devs, anas], participants=[team["ana"], team["ben"], team["cleo"]])
    assert response.status_code == 302
    session = CalibrationSession.objects.get()
    first, second = session.items.order_by("position")
    return {"session": session, "devs": first, "anas": second}


def page(client, user, session, item=None) -> str:
    client.force_login(user)
    url = (
        reverse("reviews:calibration_item", args=[session.pk, item.pk])
        if item
        else reverse("reviews:calibration", args=[session.pk])
    )
    response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


def test_a_lead_starts_a_session_and_its_participants_find_it_on_my_week(client, team, session):
    created = session["session"]
    assert created.title == "Refund tone, week 48"
    assert list(created.items.order_by("position").values_list("conversation__assignee__name", flat=True)) == [
        "Dev",
        "Ana",
    ]
    assert set(created.participants.values_list("name", flat=True)) == {"Ana", "Ben", "Cleo"}

    client.force_login(team["ana"].user)
    anas_week = client.get(reverse("reviews:my_week")).content.decode()
    client.force_login(team["dev"].user)
    devs_week = client.get(reverse("reviews:my_week")).content.decode()

    # Ana handled one of the two, so she scores one.
    assert "Refund tone, week 48</a>, 0 of 1 conversation scored" in anas_week
    assert "Refund tone" not in devs_week


def test_the_teammate_who_handled_a_conversation_does_not_score_it(client, team, session):
    response = score(client, team["ana"], session["session"], session["anas"], quality=1)
    other = page(client, team["ana"].user, session["session"], session["anas"])

    assert response.status_code == 403
    assert "You handled this conversation, so the others score it." in other
    assert not CalibrationScore.objects.exists()


def test_scores_are_blind_until_the_lead_reveals_them(client, team, session):
    the_session, item = session["session"], session["devs"]
    score(client, team["ana"], the_session, item, quality=1, quality_note="Ana thinks the refund was wrong")

    bens_view = page(client, team["ben"].user, the_session, item)
    leads_view = page(client, team["lead"], the_session, item)
    leads_board = page(client, team["lead"], the_session)

    for view in (bens_view, leads_view, leads_board):
        assert "Ana thinks the refund was wrong" not in view
    assert "1 of 3 are in" in leads_view
    assert "1 of 5 scorecards are in" in leads_board
    # Ben's form is his own, empty, not Ana's answers.
    assert 'value="1" checked' not in bens_view

    client.force_login(team["lead"])
    client.post(reverse("reviews:calibration_reveal", args=[the_session.pk]))
    revealed = page(client, team["ben"].user, the_session, item)

    assert "Ana thinks the refund was wrong" in revealed
    assert "<strong>Needs improvement</strong>: 1 <small>(Ana)</small>" in revealed


def test_a_participant_changes_their_scores_until_the_reveal_and_not_after(client, team, session):
    the_session, item = session["session"], session["devs"]
    score(client, team["ben"], the_session, item, quality=1)
    score(client, team["ben"], the_session, item, quality=3)

    assert list(
        CalibrationScore.objects.filter(participant=team["ben"], criterion__key="quality").values_list(
            "level", flat=True
        )
    ) == [3]

    client.force_login(team["lead"])
    client.post(reverse("reviews:calibration_reveal", args=[the_session.pk]))
    late = score(client, team["ben"], the_session, item, quality=2)

    assert late.status_code == 403
    assert CalibrationScore.objects.get(participant=team["ben"], criterion__key="quality").level == 3


def test_a_score_without_a_level_says_which_and_keeps_what_was_typed(client, team, session):
    data = review_form(quality="", tone_note="Warm opening, cold close")
    response = score(client, team["ben"], session["session"], session["devs"], data=data)

    body = response.content.decode()
    assert response.status_code == 400
    assert "Choose a level for Quality." in body
    assert "Warm opening, cold close" in body
    assert not CalibrationScore.objects.exists()


def test_the_spread_shows_each_level_who_chose_it_and_how_far_apart(client, team, session):
    the_session, item = session["session"], session["devs"]
    score(client, team["ana"], the_session, item, quality=1, tone=2, process="no")
    score(client, team["ben"], the_session, item, quality=3, tone=2)
    score(client, team["cleo"], the_session, item, quality=3, tone=2)
    client.force_login(team["lead"])
    client.post(reverse("reviews:calibration_reveal", args=[the_session.pk]))

    view = page(client, team["cleo"].user, the_session, item)
    board = page(client, team["cleo"].user, the_session)

    assert "Quality <small>3 scored · 2 levels apart</small>" in view
    assert "Followed internal processes <small>3 scored · split</small>" in view
    assert "Followed internal processes (split)" in board
    assert "<strong>Exceptional</strong>: 2 <small>(Ben, Cleo)</small>" in view
    assert "Tone <small>3 scored · all agreed</small>" in view
    assert "Quality (2 levels apart)" in board


def test_alpha_over_the_session_is_the_packages_on_the_same_scores(client, team, session):
    the_session = session["session"]
    score(client, team["ana"], the_session, session["devs"], quality=1, tone=2)
    score(client, team["ben"], the_session, session["devs"], quality=2, tone=2)
    score(client, team["cleo"], the_session, session["devs"], quality=2, tone=3)
    score(client, team["ben"], the_session, session["anas"], quality=3, tone=1)
    score(client, team["cleo"], the_session, session["anas"], quality=3, tone=1)
    client.force_login(team["lead"])
    client.post(reverse("reviews:calibration_reveal", args=[the_session.pk]))

    board = page(client, team["lead"], the_session)

    quality = agreement.alpha([[1, 2, 2], [3, 3]], size=3, nominal=False)
    tone = agreement.alpha([[2, 2, 3], [1, 1]], size=3, nominal=False)
    assert f"Quality: <strong>{quality:.2f}</strong>" in board
    assert f"Tone: <strong>{tone:.2f}</strong>" in board
    # Everyone said Yes to processes: no variation, so no alpha.
    assert "Followed internal processes: not enough scores" in board


def test_reveal_needs_a_score_and_happens_once(client, team, session):
    client.force_login(team["lead"])
    url = reverse("reviews:calibration_reveal", args=[session["session"].pk])

    empty = client.post(url, follow=True).content.decode()
    assert 'role="status">Nobody has scored yet: there is no spread to reveal.</p>' in empty
    score(client, team["ben"], session["session"], session["devs"])
    client.force_login(team["lead"])
    client.post(url)
    again = client.post(url, follow=True).content.decode()

    assert 'role="status">The scores are revealed already.</p>' in again


def test_the_agreed_answer_becomes_an_example_beside_its_level_on_the_review_form(client, team, session):
    the_session, item = session["session"], session["devs"]
    score(client, team["ben"], the_session, item, tone=3)
    client.force_login(team["lead"])
    client.post(reverse("reviews:calibration_reveal", args=[the_session.pk]))

    response = client.post(
        reverse("reviews:calibration_answers", args=[the_session.pk, item.pk]),
        {"tone_level": "3", "tone_reason": "Named the customer's worry before solving it.", "tone_example": "on"},
        follow=True,
    )
    assert "Agreed: Exceptional" in response.content.decode()
    answer = CalibrationAnswer.objects.get()
    assert (answer.criterion.key, answer.level, answer.recorded_by) == ("tone", 3, team["lead"])
    example = LevelExample.objects.get()
    assert (example.criterion_key, example.level, example.conversation_id) == ("tone", 3, item.conversation_id)

    # Eli, who took no part, sees it beside Exceptional while reviewing, and may open it.
    client.force_login(team["eli"].user)
    assignment = Assignment.objects.filter(reviewer=team["eli"]).first()
    form = client.get(reverse("reviews:review", args=[assignment.pk])).content.decode()
    assert 'aria-label="Examples of Exceptional"' in form
    assert escape("Named the customer's worry before solving it.") in form
    assert client.get(reverse("reviews:conversation", args=[item.conversation_id])).status_code == 200

    other = LevelExample.objects.create(
        team=team["team"],
        criterion_key="quality",
        scale="three_point",
        level=1,
        conversation=session["anas"].conversation,
        reason="Quoted the old refund window.",
    )
    client.force_login(team["lead"])
    client.post(reverse("reviews:level_example_remove", args=[team["team"].pk, example.pk]))
    assert list(LevelExample.objects.all()) == [other]
    client.force_login(team["eli"].user)
    gone = client.post(reverse("reviews:level_example_remove", args=[team["team"].pk, other.pk]))
    assert gone.status_code == 404 and "<p>No such team.</p>" in gone.content.decode()
    client.force_login(team["eli"].user)
    assert "Examples of Exceptional" not in client.get(reverse("reviews:review", args=[assignment.pk])).content.decode()
    # The session keeps its agreed answer.
    assert CalibrationAnswer.objects.exists()


def test_an_agreed_answer_needs_a_reason_and_comes_after_the_reveal(client, team, session):
    the_session, item = session["session"], session["devs"]
    client.force_login(team["lead"])
    url = reverse("reviews:calibration_answers", args=[the_session.pk, item.pk])

    before = client.post(url, {"quality_level": "2", "quality_reason": "Solved."})
    assert before.status_code == 400
    assert 'role="alert">Reveal the scores first: the agreed answer comes after the discussion.</div>' in (
        before.content.decode()
    )

    score(client, team["ben"], the_session, item)
    client.force_login(team["lead"])
    client.post(reverse("reviews:calibration_reveal", args=[the_session.pk]))
    no_reason = client.post(url, {"quality_level": "2", "tone_reason": "Kind throughout."})

    body = no_reason.content.decode()
    assert no_reason.status_code == 400
    assert "Say why Quality is that level." in body
    assert "Choose the agreed level of Tone for this reason." in body
    assert "Kind throughout." in body  # what was typed stays
    assert not CalibrationAnswer.objects.exists()


def test_calibration_never_reaches_feedback_the_quality_score_or_the_quota(client, team, session):
    reviewed = Assignment.objects.filter(reviewee=team["dev"]).first()
    services.review_submit(assignment=reviewed, answers=answers(quality=3, tone=3))
    before = (
        list(Review.objects.values_list("pk", "score")),
        Rating.objects.count(),
        list(Assignment.objects.values_list("pk", "status")),
        list(AgentWeek.objects.values_list("pk", "required")),
    )
    the_session, item = session["session"], session["devs"]
    for agent in (team["ana"], team["ben"], team["cleo"]):
        score(client, agent, the_session, item, quality=1, quality_note=f"Calibration note by {agent.name}")
    client.force_login(team["lead"])
    client.post(reverse("reviews:calibration_reveal", args=[the_session.pk]))

    after = (
        list(Review.objects.values_list("pk", "score")),
        Rating.objects.count(),
        list(Assignment.objects.values_list("pk", "status")),
        list(AgentWeek.objects.values_list("pk", "required")),
    )
    assert after == before
    client.force_login(team["dev"].user)
    feedback = client.get(reverse("reviews:feedback")).content.decode()
    assert "Calibration note by" not in feedback
    assert "Your quality score: <strong>100%</strong> over 1 review" in feedback


def test_a_session_needs_a_title_and_two_scorers_for_every_conversation(client, team):
    anas = free(team["ana"]).first()

    untitled = start(client, team, title=" ", conversations=[anas], participants=[team["ben"], team["cleo"]])
    too_few = start(client, team, conversations=[anas], participants=[team["ana"], team["ben"]])

    assert untitled.status_code == 400
    assert "Give the session a title" in untitled.content.decode()
    assert too_few.status_code == 400
    assert "needs two participants besides the teammate who handled it" in too_few.content.decode()
    # What was chosen stays chosen.
    assert f'value="{anas.pk}" id="id_conversations_' in too_few.content.decode()
    assert not CalibrationSession.objects.exists()


def test_a_lead_cannot_calibrate_on_another_teams_conversations_or_people(client, team, build):
    other = build("Other team")
    stranger = other.agent("Olga")
    theirs = other.conversations(stranger, 1)[0]

    response = start(client, team, conversations=[theirs], participants=[team["ben"], team["cleo"], stranger])

    assert response.status_code == 400
    assert "Select a valid choice" in response.content.decode()
    assert not CalibrationSession.objects.exists()


def test_a_teammate_outside_the_session_sees_nothing_of_it(client, team, session):
    client.force_login(team["eli"].user)

    assert client.get(reverse("reviews:calibration", args=[session["session"].pk])).status_code == 404
    url = reverse("reviews:calibration_item", args=[session["session"].pk, session["devs"].pk])
    assert client.get(url).status_code == 404
    assert client.post(url, review_form()).status_code == 404


def test_the_session_page_costs_the_same_however_many_conversations_and_people(
    client, team, django_assert_max_num_queries
):
    conversations = [c for agent in ("dev", "eli") for c in free(team[agent])[:5]]
    start(client, team, conversations=conversations, participants=[team["ana"], team["ben"], team["cleo"]])
    the_session = CalibrationSession.objects.get()
    for item in the_session.items.all():
        for agent in (team["ana"], team["ben"], team["cleo"]):
            score(client, agent, the_session, item, quality=1 + item.position % 3)
    client.force_login(team["lead"])
    client.post(reverse("reviews:calibration_reveal", args=[the_session.pk]))

    # Session and user, the menu, who the lead is and whether they lead it, the session, the
    # scorecard's four, its items, people, scores and agreed answers.
    with django_assert_max_num_queries(16):
        assert client.get(reverse("reviews:calibration", args=[the_session.pk])).status_code == 200
    item = the_session.items.last()
    # The same and the transcript, the agreed answers' form and the next conversation.
    with django_assert_max_num_queries(22):
        assert client.get(reverse("reviews:calibration_item", args=[the_session.pk, item.pk])).status_code == 200


def reveal(client, team, the_session):
    client.force_login(team["lead"])
    client.post(reverse("reviews:calibration_reveal", args=[the_session.pk]))


def record(client, team, session_id, item_id, **data):
    client.force_login(team["lead"])
    return client.post(reverse("reviews:calibration_answers", args=[session_id, item_id]), data)


def test_recording_again_without_the_box_takes_the_example_off_and_the_box_starts_ticked(client, team, session):
    the_session, item = session["session"], session["devs"]
    score(client, team["ben"], the_session, item)
    reveal(client, team, the_session)
    record(client, team, the_session.pk, item.pk, tone_level="3", tone_reason="Warm.", tone_example="on")

    form = page(client, team["lead"], the_session, item)
    assert 'name="tone_example" id="id_tone_example" checked' in form
    record(client, team, the_session.pk, item.pk, tone_level="2", tone_reason="Kind, not more.", tone_example="on")
    assert list(LevelExample.objects.values_list("level", "reason")) == [(2, "Kind, not more.")]

    record(client, team, the_session.pk, item.pk, tone_level="2", tone_reason="Kind, not more.")

    assert not LevelExample.objects.exists()
    assert CalibrationAnswer.objects.get().level == 2


def test_an_example_of_an_earlier_scale_leaves_the_review_form(client, team, session):
    from reviews.models import Scale
    from reviews.scorecards import CriterionSpec, default_levels

    the_session, item = session["session"], session["devs"]
    score(client, team["ben"], the_session, item)
    reveal(client, team, the_session)
    record(client, team, the_session.pk, item.pk, tone_level="3", tone_reason="Warm.", tone_example="on")
    tone = CriterionSpec(key="tone", name="Tone", scale=Scale.FOUR_POINT, levels=default_levels(Scale.FOUR_POINT))
    services.criterion_save(team=team["team"], user=team["lead"], based_on=1, criterion=tone)

    client.force_login(team["eli"].user)
    assignment = Assignment.objects.filter(reviewer=team["eli"]).first()
    form = client.get(reverse("reviews:review", args=[assignment.pk])).content.decode()
    client.force_login(team["lead"])
    scorecard = client.get(reverse("reviews:scorecard", args=[team["team"].pk])).content.decode()

    assert "Examples of" not in form
    assert "level 3 of an earlier scale" in scorecard


def test_a_teammate_opening_an_example_does_not_learn_whose_it_was(client, team, session):
    the_session, item = session["session"], session["devs"]
    score(client, team["ben"], the_session, item)
    reveal(client, team, the_session)
    record(
        client, team, the_session.pk, item.pk, quality_level="1", quality_reason="Wrong refund.", quality_example="on"
    )
    url = reverse("reviews:conversation", args=[item.conversation_id])

    client.force_login(team["eli"].user)
    eli_sees = client.get(url).content.decode()
    client.force_login(team["dev"].user)
    dev_sees = client.get(url).content.decode()

    assert "Handled by <strong>a teammate</strong>" in eli_sees
    assert "Handled by <strong>Dev</strong>" in dev_sees


def test_a_revealed_session_stays_on_my_week_for_two_weeks(client, team, session, monday):
    from datetime import timedelta

    score(client, team["ben"], session["session"], session["devs"])
    reveal(client, team, session["session"])
    client.force_login(team["cleo"].user)

    soon = client.get(reverse("reviews:my_week")).content.decode()
    monday.shift(timedelta(days=15))
    later = client.get(reverse("reviews:my_week")).content.decode()

    assert "Refund tone, week 48</a>, revealed" in soon
    assert "Refund tone" not in later


def test_whoever_handled_it_when_the_session_started_still_does_not_score_it(client, team, session):
    item = session["anas"]
    item.conversation.assignee = team["ben"]
    item.conversation.save(update_fields=["assignee"])

    anas = score(client, team["ana"], session["session"], item)
    bens = score(client, team["ben"], session["session"], item)

    assert anas.status_code == 403
    assert bens.status_code == 302


def test_a_teammate_deactivated_since_is_not_waited_for(client, team, session):
    team["cleo"].is_active = False
    team["cleo"].save(update_fields=["is_active"])

    board = page(client, team["lead"], session["session"])

    # Dev's conversation: Ana and Ben; Ana's: Ben.
    assert "0 of 3 scorecards are in" in board


def test_the_same_conversation_twice_makes_one_item(team):
    conversation = free(team["dev"]).first()

    the_session = services.calibration_start(
        team=team["team"],
        by=team["lead"],
        title="Twice",
        conversations=[conversation, conversation],
        participants=[team["ana"], team["ben"]],
    )

    assert the_session.items.count() == 1


def test_a_calibrated_conversation_is_never_handed_out_for_review(client, team, session):
    calibrated = {session["devs"].conversation_id, session["anas"].conversation_id}

    pulled = services.assignments_pull(agent=team["eli"], count=20)

    assert pulled
    assert not calibrated & {assignment.conversation_id for assignment in pulled}


def test_conversations_someone_still_has_to_review_are_not_offered(team):
    from django.utils import timezone

    from reviews import selectors

    waiting = set(Assignment.objects.filter(status="assigned").values_list("conversation_id", flat=True))

    offered = {
        candidate.conversation.pk for candidate in selectors.calibration_candidates(team["team"], now=timezone.now())
    }

    assert offered
    assert not offered & waiting


def test_scores_far_apart_read_as_levels_a_split_or_agreement():
    from reviews.models import Scale
    from reviews.scorecards import CriterionSpec, default_levels
    from reviews.selectors import _apart

    three = CriterionSpec(key="q", name="Q", scale=Scale.THREE_POINT, levels=default_levels(Scale.THREE_POINT))
    yes_no = CriterionSpec(key="p", name="P", scale=Scale.YES_NO, levels=default_levels(Scale.YES_NO))

    assert _apart(three, [2, 2, 2]) == "all agreed"
    assert _apart(three, [1, 3, 2]) == "2 levels apart"
    assert _apart(three, [2, 3]) == "1 level apart"
    assert _apart(three, [None, 2]) == "split"
    assert _apart(yes_no, [1, 2]) == "split"
    assert _apart(three, []) == ""


def test_the_service_refuses_answers_the_scorecard_does_not_have(client, team, session):
    the_session, item = session["session"], session["devs"]
    score(client, team["ben"], the_session, item)
    reveal(client, team, the_session)
    refusals = {
        "wisdom": (2, "That criterion is not on this session's scorecard."),
        "quality": (None, "Quality cannot be N/A: choose the agreed level."),
        "tone": (4, "Tone has no level 4."),
    }

    for key, (level, message) in refusals.items():
        with pytest.raises(services.CalibrationError) as refused:
            services.calibration_answers_record(
                item=item, by=team["lead"], answers={key: services.AgreedAnswer(level, "Because.")}
            )
        assert str(refused.value) == message
    with pytest.raises(services.CalibrationError) as nothing:
        services.calibration_answers_record(item=item, by=team["lead"], answers={})
    assert str(nothing.value) == "Record the agreed level and why for at least one criterion."
    with pytest.raises(services.CalibrationError, match="Say why Tone is that level"):
        services.calibration_answers_record(item=item, by=team["lead"], answers={"tone": services.AgreedAnswer(2, " ")})
    assert not CalibrationAnswer.objects.exists()


def test_a_reason_may_be_as_long_as_any_note_and_n_a_is_never_an_example(client, team):
    from reviews.models import NOTE_MAX_LENGTH, Scale
    from reviews.scorecards import CriterionSpec, default_levels

    knowledge = CriterionSpec(
        key="knowledge",
        name="Product knowledge",
        scale=Scale.THREE_POINT,
        levels=default_levels(Scale.THREE_POINT),
        allow_na=True,
    )
    services.scorecard_current(team=team["team"])
    services.criterion_save(team=team["team"], user=team["lead"], based_on=1, criterion=knowledge)
    start(client, team, conversations=[free(team["dev"]).first()], participants=[team["ana"], team["ben"]])
    the_session = CalibrationSession.objects.get()
    item = the_session.items.get()
    client.force_login(team["ben"].user)
    client.post(
        reverse("reviews:calibration_item", args=[the_session.pk, item.pk]), {**review_form(), "knowledge": "na"}
    )
    reveal(client, team, the_session)
    record = services.calibration_answers_record

    record(item=item, by=team["lead"], answers={"tone": services.AgreedAnswer(2, "x" * NOTE_MAX_LENGTH)})
    with pytest.raises(services.CalibrationError) as long:
        record(item=item, by=team["lead"], answers={"tone": services.AgreedAnswer(2, "x" * (NOTE_MAX_LENGTH + 1))})
    with pytest.raises(services.CalibrationError) as not_a_level:
        record(
            item=item,
            by=team["lead"],
            answers={"knowledge": services.AgreedAnswer(None, "Not about the product.", True)},
        )

    assert str(long.value) == "Keep each reason to 2,000 characters."
    assert str(not_a_level.value) == "N/A is not a level of Product knowledge, so it cannot have an example."
    assert CalibrationAnswer.objects.get().reason == "x" * NOTE_MAX_LENGTH
    assert not LevelExample.objects.exists()


def test_taking_one_example_off_leaves_the_other_criteria_and_conversations_alone(client, team, session):
    the_session, devs, anas = session["session"], session["devs"], session["anas"]
    score(client, team["ben"], the_session, devs)
    reveal(client, team, the_session)
    record(client, team, the_session.pk, devs.pk, tone_level="3", tone_reason="Warm.", tone_example="on",
           quality_level="2", quality_reason="Right.", quality_example="on")  # fmt: skip
    record(client, team, the_session.pk, anas.pk, tone_level="1", tone_reason="Curt.", tone_example="on")

    record(client, team, the_session.pk, devs.pk, tone_level="3", tone_reason="Warm.")

    kept = set(LevelExample.objects.values_list("criterion_key", "conversation_id"))
    assert kept == {("quality", devs.conversation_id), ("tone", anas.conversation_id)}


def test_a_lead_who_answers_conversations_runs_a_session_without_scoring_in_it(client, team, session):
    the_session, item = session["session"], session["devs"]
    team["team"].leads.add(team["eli"].user)  # Eli leads the team and takes no part
    client.force_login(team["eli"].user)

    board = client.get(reverse("reviews:calibration", args=[the_session.pk]))
    scored = client.post(reverse("reviews:calibration_item", args=[the_session.pk, item.pk]), review_form())

    assert board.status_code == 200
    assert "<th>You</th>" not in board.content.decode()
    assert scored.status_code == 403
    assert not CalibrationScore.objects.exists()


def test_a_participant_sees_what_is_theirs_to_score(client, team, session):
    board = page(client, team["ana"].user, session["session"])

    assert "<th>You</th>" in board
    assert "Yours: the others score it" in board and "To score" in board


def test_a_conversation_of_another_session_is_not_reached_through_this_one(client, team, session):
    start(
        client, team, title="Other", conversations=[free(team["eli"]).first()], participants=[team["ana"], team["ben"]]
    )
    other_item = CalibrationSession.objects.get(title="Other").items.get()
    client.force_login(team["ana"].user)

    through = client.get(reverse("reviews:calibration_item", args=[session["session"].pk, other_item.pk]))
    client.force_login(team["dev"].user)
    stranger = client.get(reverse("reviews:calibration", args=[session["session"].pk]))

    assert through.status_code == 404 and "<p>No such conversation in this session.</p>" in through.content.decode()
    assert stranger.status_code == 404 and "<p>No such calibration session.</p>" in stranger.content.decode()


def test_a_lead_who_answers_conversations_sees_whose_an_example_is(client, team, session):
    the_session, item = session["session"], session["devs"]
    score(client, team["ben"], the_session, item)
    reveal(client, team, the_session)
    record(client, team, the_session.pk, item.pk, tone_level="3", tone_reason="Warm.", tone_example="on")
    team["team"].leads.add(team["eli"].user)
    client.force_login(team["eli"].user)

    page = client.get(reverse("reviews:conversation", args=[item.conversation_id])).content.decode()

    assert "Handled by <strong>Dev</strong>" in page


def test_the_service_refuses_a_score_from_whoever_handled_the_conversation(team, session):
    with pytest.raises(services.CalibrationError) as refused:
        services.calibration_score(item=session["anas"], participant=team["ana"], ratings=answers()["ratings"])

    assert str(refused.value) == "You handled this conversation, so the others score it."
    assert not CalibrationScore.objects.exists()
