"""1:1 coaching: a lead meets an agent with an agenda pre-filled from what happened since the
last 1:1, writes notes and action items with due dates, and the agent acknowledges."""

from datetime import date, timedelta

import pytest
from django.urls import reverse

from reviews import selectors
from reviews.models import ActionItem, Assignment, Dispute, OneOnOne, Review, TeamSettings
from reviews.services import (
    ActionAnswer,
    action_item_mark,
    focus_record,
    one_on_one_create,
    review_submit,
    week_assign,
)
from reviews.tests.factories import answers

pytestmark = pytest.mark.django_db


@pytest.fixture
def coached(team_of_five, monday, django_user_model):
    """Ben has three reviews this week (one low), a dispute, and a focus set."""
    builder, agents = team_of_five
    TeamSettings.objects.create(team=builder.team, second_opinion_percent=0, anonymous_reviewer=True)
    ben = agents[1]
    week = week_assign(team=builder.team)
    of_ben = list(Assignment.objects.filter(week=week, reviewee=ben).select_related("conversation", "reviewer")[:3])
    low = review_submit(assignment=of_ben[0], answers=answers(quality=1, tone=1, quality_note="Missed the refund."))
    for assignment in of_ben[1:]:
        review_submit(
            assignment=assignment, answers=answers(quality=3, tone=3, quality_note="Lovely.", share_as_example=True)
        )
    Dispute.objects.create(review=low, reason="The refund was done.", opened_by=ben.user)
    focus_record(review=low, text="Confirm the refund date.")
    lead = django_user_model.objects.create_user("lead@ledgerly.example", email="lead@ledgerly.example", password="pw")
    builder.team.leads.add(lead)
    return {"team": builder.team, "ben": ben, "low": low, "lead": lead, "of_ben": of_ben, "agents": agents}


def new_url(coached):
    return reverse("reviews:one_on_one_new", args=[coached["team"].pk, coached["ben"].pk])


def test_the_agenda_starts_from_the_agents_reviews_lowest_first_and_names_no_reviewer(client, coached):
    client.force_login(coached["lead"])

    page = client.get(new_url(coached)).content.decode()
    agenda = selectors.one_on_one_agenda(coached["ben"], team=coached["team"], today=date(2026, 11, 23))

    assert "Reviews received: 3, quality score" in page  # the agenda, in the form's textarea
    lines = agenda.splitlines()
    assert lines[0] == "Since Mon 26 Oct 2026."
    assert "Reviews received: 3, quality score" in agenda
    first_review = next(line for line in lines if line.startswith("- 2026-W48"))
    assert f"“{coached['low'].conversation}”: Quality needs improvement" in first_review
    assert "Shared as examples for the team:" in agenda
    assert f"“{coached['low'].conversation}”: open" in agenda
    assert "- “Confirm the refund date.”: still open" in agenda
    for assignment in coached["of_ben"]:
        assert assignment.reviewer.name not in agenda


def test_a_lead_saves_a_one_on_one_the_agent_reads_and_acknowledges_it(client, coached):
    client.force_login(coached["lead"])
    response = client.post(
        new_url(coached),
        {
            "held_on": "2026-11-23",
            "agenda": "Refunds",
            "notes": "Talked through the refund case.",
            "action_1": "Re-read the refund policy",
            "due_1": "2026-11-30",
        },
    )
    session = OneOnOne.objects.get()
    assert response.url == reverse("reviews:one_on_one", args=[session.pk])
    assert (session.lead, session.agent, session.notes) == (
        coached["lead"],
        coached["ben"],
        "Talked through the refund case.",
    )
    assert list(session.action_items.values_list("text", "due_on")) == [
        ("Re-read the refund policy", date(2026, 11, 30))
    ]

    client.force_login(coached["ben"].user)
    feedback = client.get(reverse("reviews:feedback")).content.decode()
    page = client.get(reverse("reviews:one_on_one", args=[session.pk])).content.decode()
    client.post(reverse("reviews:one_on_one_acknowledge", args=[session.pk]))
    client.force_login(coached["lead"])
    seen = client.get(reverse("reviews:one_on_one", args=[session.pk])).content.decode()

    assert "· to acknowledge" in feedback
    assert "Re-read the refund policy" in page and "· due Mon 30 Nov" in page
    assert "I have read it" in page
    assert f"Acknowledged by {coached['ben'].name} on" in seen


def test_a_change_after_the_acknowledgement_asks_for_it_again(client, coached):
    session = one_on_one_create(
        team=coached["team"], agent=coached["ben"], lead=coached["lead"], held_on=date(2026, 11, 23),
        agenda="A", notes="B", actions=[],
    )  # fmt: skip
    client.force_login(coached["ben"].user)
    client.post(reverse("reviews:one_on_one_acknowledge", args=[session.pk]))
    assert OneOnOne.objects.get().acknowledged_at is not None

    client.force_login(coached["lead"])
    client.post(
        reverse("reviews:one_on_one", args=[session.pk]), {"agenda": "A", "notes": "B, and C.", "action_1": "D"}
    )

    session.refresh_from_db()
    assert (session.notes, session.acknowledged_at) == ("B, and C.", None)
    assert list(session.action_items.values_list("text", flat=True)) == ["D"]


def test_a_due_date_without_an_action_is_refused_and_what_was_typed_is_kept(client, coached):
    client.force_login(coached["lead"])

    response = client.post(new_url(coached), {"held_on": "2026-11-23", "notes": "Kept notes", "due_2": "2026-12-01"})

    page = response.content.decode()
    assert response.status_code == 400
    assert "Say what is to be done by that date." in page
    assert "Kept notes</textarea>" in page
    assert not OneOnOne.objects.exists()


def test_either_side_ticks_an_action_off_and_the_first_time_stays(coached):
    session = one_on_one_create(
        team=coached["team"], agent=coached["ben"], lead=coached["lead"], held_on=date(2026, 11, 23),
        agenda="", notes="", actions=[ActionAnswer("Shadow Ana", None), ActionAnswer("  ", None)],
    )  # fmt: skip
    item = ActionItem.objects.get()
    action_item_mark(item=item, done=True)
    first = ActionItem.objects.get().done_at
    action_item_mark(item=item, done=True)
    assert ActionItem.objects.get().done_at == first
    action_item_mark(item=item, done=False)
    assert ActionItem.objects.get().done_at is None
    assert session.action_items.count() == 1  # the blank row left out


def test_the_next_agenda_starts_at_the_last_one_on_one_and_carries_its_open_actions(coached, monday):
    one_on_one_create(
        team=coached["team"], agent=coached["ben"], lead=coached["lead"], held_on=date(2026, 11, 24),
        agenda="", notes="", actions=[ActionAnswer("Shadow Ana", date(2026, 12, 4))],
    )  # fmt: skip
    monday.shift(timedelta(days=7))

    agenda = selectors.one_on_one_agenda(coached["ben"], team=coached["team"], today=date(2026, 11, 30))

    assert agenda.startswith("Since Wed 25 Nov 2026 (the last 1:1 was on Tue 24 Nov).")
    assert "Reviews received: 0" in agenda
    assert "Action items still open:\n- Shadow Ana (due 4 Dec)" in agenda


def test_a_review_waiting_for_the_agents_own_rating_stays_out_of_the_agenda(coached):
    Review.objects.filter(pk=coached["low"].pk).update(self_review_first=True)

    agenda = selectors.one_on_one_agenda(coached["ben"], team=coached["team"], today=date(2026, 11, 23))

    assert "Reviews received: 2" in agenda
    assert "Confirm the refund date." not in agenda


def test_the_people_page_shows_the_weeks_since_each_ones_last_one_on_one(client, coached):
    one_on_one_create(
        team=coached["team"], agent=coached["ben"], lead=coached["lead"], held_on=date(2026, 11, 9),
        agenda="", notes="", actions=[],
    )  # fmt: skip
    client.force_login(coached["lead"])

    page = client.get(reverse("reviews:team_people", args=[coached["team"].pk])).content.decode()

    assert page.count("2 weeks ago") == 1
    assert page.count("Never") == len(coached["agents"]) - 1


def test_only_the_agent_and_the_teams_leads_open_a_one_on_one(client, coached, build, django_user_model):
    session = one_on_one_create(
        team=coached["team"], agent=coached["ben"], lead=coached["lead"], held_on=date(2026, 11, 23),
        agenda="Private", notes="Private", actions=[],
    )  # fmt: skip
    other_lead = django_user_model.objects.create_user("other@ledgerly.example", password="pw")
    build("Other").team.leads.add(other_lead)
    url = reverse("reviews:one_on_one", args=[session.pk])

    for outsider in (coached["agents"][0].user, other_lead):
        client.force_login(outsider)
        assert client.get(url).status_code == 404
    client.force_login(coached["ben"].user)
    assert client.post(url, {"agenda": "Mine now", "notes": ""}).status_code == 403
    assert OneOnOne.objects.get().agenda == "Private"


def test_a_lead_of_the_agents_new_team_sees_nothing_from_the_old_one(client, coached, build, django_user_model):
    one_on_one_create(
        team=coached["team"], agent=coached["ben"], lead=coached["lead"], held_on=date(2026, 11, 20),
        agenda="Old team's", notes="", actions=[ActionAnswer("Old team's action", None)],
    )  # fmt: skip
    new = build("New team")
    coached["ben"].team = new.team
    coached["ben"].save()
    new_lead = django_user_model.objects.create_user("new@ledgerly.example", password="pw")
    new.team.leads.add(new_lead)
    client.force_login(new_lead)

    page = client.get(reverse("reviews:agent_detail", args=[new.team.pk, coached["ben"].pk])).content.decode()
    agenda = selectors.one_on_one_agenda(coached["ben"], team=new.team, today=date(2026, 11, 23))

    assert "Confirm the refund date." not in page
    assert "No 1:1 yet." in page
    assert "Reviews received: 0" in agenda
    assert "Old team's action" not in agenda and "Confirm the refund date." not in agenda


def test_a_one_on_one_planned_for_later_is_not_the_last_one(client, coached):
    one_on_one_create(
        team=coached["team"], agent=coached["ben"], lead=coached["lead"], held_on=date(2026, 12, 7),
        agenda="", notes="", actions=[],
    )  # fmt: skip
    client.force_login(coached["lead"])

    page = client.get(reverse("reviews:team_people", args=[coached["team"].pk])).content.decode()
    agenda = selectors.one_on_one_agenda(coached["ben"], team=coached["team"], today=date(2026, 11, 23))

    assert "weeks ago" not in page and page.count("Never") == len(coached["agents"])
    assert agenda.startswith("Since Mon 26 Oct 2026.")
