"""A lead sends one conversation for review, to a teammate with a note or to themselves:
outside the weekly batch, counted apart from the quota, waiting past its week."""

import re
from datetime import timedelta

import pytest
from django.urls import reverse

from reviews import selectors
from reviews.exports import completion_rows
from reviews.models import Assignment, Review
from reviews.services import (
    RequestError,
    assignment_skip,
    review_request,
    review_submit,
    week_assign,
)
from reviews.tests.factories import answers, review_form

pytestmark = pytest.mark.django_db

NOTE = "Please look at this escalation: the refund took three replies."


@pytest.fixture
def team(team_of_five, monday, django_user_model):
    builder, agents = team_of_five
    week = week_assign(team=builder.team)
    lead = django_user_model.objects.create_user("lead@ledgerly.example", email="lead@ledgerly.example", password="pw")
    builder.team.leads.add(lead)
    # A conversation of Ben's nobody has in a batch.
    loose = builder.conversations(agents[1], 1)[0]
    Assignment.objects.filter(conversation=loose).delete()
    return {"builder": builder, "agents": agents, "week": week, "lead": lead, "loose": loose}


def send(client, team, *, to, note=NOTE, conversation=None):
    client.force_login(team["lead"])
    conversation = conversation or team["loose"]
    return client.post(
        reverse("reviews:conversation_send", args=[conversation.pk]), {"agent": str(to.pk) if to else "", "note": note}
    )


def test_a_sent_conversation_waits_on_the_teammates_week_with_the_note_and_is_not_in_the_quota(client, team):
    cleo = team["agents"][2]
    before = selectors.week_completion(team["week"], agent=cleo)[0]

    response = send(client, team, to=cleo)

    assert response.status_code == 302
    sent = Assignment.objects.get(conversation=team["loose"], reviewer=cleo)
    assert (sent.kind, sent.request_note, sent.requested_by, sent.reviewee) == (
        "requested",
        NOTE,
        team["lead"],
        team["agents"][1],
    )
    client.force_login(cleo.user)
    page = client.get(reverse("reviews:my_week")).content.decode()
    assert "Sent to you by a lead" in page
    assert f"“{NOTE}”" in page
    assert reverse("reviews:review", args=[sent.pk]) in page
    # Done, it still counts apart: the week's figures are the batch's alone.
    review_submit(assignment=sent, answers=answers(), actor=cleo.user)
    after = selectors.week_completion(team["week"], agent=cleo)[0]
    assert (after.completed, after.assigned, after.required) == (before.completed, before.assigned, before.required)
    exported = "".join(completion_rows([team["week"]], agent_id=cleo.pk))
    assert f",{before.assigned},{before.completed}," in exported


def test_the_lead_sees_who_it_was_sent_to_on_the_conversation_and_on_the_team_week(client, team):
    cleo = team["agents"][2]
    send(client, team, to=cleo)

    conversation_page = client.get(reverse("reviews:conversation", args=[team["loose"].pk])).content.decode()
    week_page = client.get(reverse("reviews:team_week", args=[team["builder"].team.pk])).content.decode()

    assert f"Sent to {cleo.name} by lead@ledgerly.example on" in conversation_page
    assert ": to do · “Please look at this escalation" in conversation_page
    assert "Sent for review by leads" in week_page
    assert f"<td>{cleo.name}</td>" in week_page


def test_it_waits_past_its_week_and_can_still_be_reviewed(client, team, monday):
    cleo = team["agents"][2]
    send(client, team, to=cleo)
    sent = Assignment.objects.get(conversation=team["loose"], reviewer=cleo)

    monday.shift(timedelta(days=9))
    client.force_login(cleo.user)
    my_week = client.get(reverse("reviews:my_week")).content.decode()
    response = client.post(reverse("reviews:review", args=[sent.pk]), review_form(quality=3))

    assert reverse("reviews:review", args=[sent.pk]) in my_week
    assert response.status_code == 302
    assert Review.objects.filter(assignment=sent).exists()
    assert Assignment.objects.get(pk=sent.pk).status == "completed"


def test_the_review_page_has_no_batch_count_for_it(client, team):
    cleo = team["agents"][2]
    send(client, team, to=cleo)
    sent = Assignment.objects.get(conversation=team["loose"], reviewer=cleo)
    client.force_login(cleo.user)

    page = client.get(reverse("reviews:review", args=[sent.pk])).content.decode()
    saved = client.post(reverse("reviews:review", args=[sent.pk]), review_form())

    assert f"Sent to you by lead@ledgerly.example, outside your weekly batch: “{NOTE}”" in page
    assert "in your list" not in page
    assert "reviews done this week" not in page
    assert client.get(saved.url).content.decode().count("the lead who sent it can read it") == 1


def test_a_teammate_is_required_and_the_note_is_kept(client, team):
    response = send(client, team, to=None, note="Look at the refund part")

    page = response.content.decode()
    assert response.status_code == 400
    assert "Choose the teammate who reviews it." in page
    assert "Look at the refund part</textarea>" in page
    assert not Assignment.objects.filter(conversation=team["loose"]).exists()


def test_the_handler_is_not_offered_and_is_refused(client, team):
    ben = team["agents"][1]
    client.force_login(team["lead"])

    page = client.get(reverse("reviews:conversation", args=[team["loose"].pk])).content.decode()
    response = send(client, team, to=ben)

    assert f'<option value="{ben.pk}">' not in page
    assert f'<option value="{team["agents"][2].pk}">' in page
    assert response.status_code == 400
    assert "Choose a teammate of this team who did not handle the conversation." in response.content.decode()
    assert not Assignment.objects.filter(conversation=team["loose"]).exists()


def test_sending_twice_to_the_same_teammate_says_so(team):
    cleo = team["agents"][2]
    review_request(conversation=team["loose"], reviewer=cleo, by=team["lead"])

    with pytest.raises(RequestError, match=f"^{cleo.name} already has this conversation to review.$"):
        review_request(conversation=team["loose"], reviewer=cleo, by=team["lead"])


def test_a_conversation_in_someones_batch_can_still_be_sent_to_another(team):
    batch = Assignment.objects.filter(week=team["week"]).exclude(role="second").first()
    other = next(a for a in team["agents"] if a.pk not in (batch.reviewer_id, batch.reviewee_id))

    sent = review_request(conversation=batch.conversation, reviewer=other, by=team["lead"], note="Compare")

    assert sent.status == "assigned"
    assert Assignment.objects.active().filter(conversation=batch.conversation).count() >= 2


def test_a_set_aside_conversation_is_included_first(team):
    short = team["builder"].conversations(team["agents"][1], 1, exclusion_reason="short")[0]

    with pytest.raises(RequestError, match="set aside \\(too short to review\\): include it anyway first"):
        review_request(conversation=short, reviewer=team["agents"][2], by=team["lead"])


def test_an_inactive_teammate_is_refused(team):
    cleo = team["agents"][2]
    cleo.is_active = False
    cleo.save()

    with pytest.raises(RequestError, match=f"^{cleo.name} is no longer active in the helpdesk.$"):
        review_request(conversation=team["loose"], reviewer=cleo, by=team["lead"])


def test_a_note_too_long_is_refused_in_words(team):
    with pytest.raises(RequestError, match="^Keep the note under 2000 characters; it has 2001.$"):
        review_request(conversation=team["loose"], reviewer=team["agents"][2], by=team["lead"], note="x" * 2001)


def test_a_lead_reviews_it_themselves(client, team):
    lead_agent = team["builder"].agent("Lena")
    team["builder"].team.leads.add(lead_agent.user)
    client.force_login(lead_agent.user)

    page = client.get(reverse("reviews:conversation", args=[team["loose"].pk])).content.decode()
    response = client.post(reverse("reviews:conversation_review_myself", args=[team["loose"].pk]))
    again = client.post(reverse("reviews:conversation_review_myself", args=[team["loose"].pk]))

    mine = Assignment.objects.get(conversation=team["loose"], reviewer=lead_agent)
    assert "Review it yourself" in page
    assert (mine.kind, mine.requested_by) == ("requested", lead_agent.user)
    assert response.url == reverse("reviews:review", args=[mine.pk])
    assert again.url == response.url  # the same one, not a second
    assert Assignment.objects.filter(conversation=team["loose"], reviewer=lead_agent).count() == 1


def test_a_lead_without_a_teammate_is_not_offered_to_review_it(client, team):
    client.force_login(team["lead"])

    page = client.get(reverse("reviews:conversation", args=[team["loose"].pk])).content.decode()
    refused = client.post(reverse("reviews:conversation_review_myself", args=[team["loose"].pk]))

    assert "Send for review" in page
    assert "Review it yourself" not in page
    assert refused.status_code == 403


def test_agents_neither_send_nor_review_it_themselves(client, team):
    ben, cleo = team["agents"][1], team["agents"][2]
    client.force_login(ben.user)  # he handled it, so he sees the conversation

    page = client.get(reverse("reviews:conversation", args=[team["loose"].pk])).content.decode()
    sent = client.post(reverse("reviews:conversation_send", args=[team["loose"].pk]), {"agent": cleo.pk})
    myself = client.post(reverse("reviews:conversation_review_myself", args=[team["loose"].pk]))

    assert "Send for review" not in page
    assert (sent.status_code, myself.status_code) == (403, 403)
    assert not Assignment.objects.filter(conversation=team["loose"]).exists()


def test_a_lead_of_another_team_cannot_send_it(client, team, build, django_user_model):
    other_lead = django_user_model.objects.create_user("other@ledgerly.example", password="pw")
    build("Other").team.leads.add(other_lead)
    client.force_login(other_lead)

    response = client.post(
        reverse("reviews:conversation_send", args=[team["loose"].pk]), {"agent": team["agents"][2].pk}
    )

    assert response.status_code == 404
    assert not Assignment.objects.filter(conversation=team["loose"]).exists()


def test_handing_one_back_brings_no_replacement_and_the_lead_sees_why(client, team):
    cleo = team["agents"][2]
    sent = review_request(conversation=team["loose"], reviewer=cleo, by=team["lead"])
    batch_before = Assignment.objects.filter(reviewer=cleo, status="assigned").count()

    replacement = assignment_skip(assignment=sent, reason="sensitive")

    client.force_login(team["lead"])
    page = client.get(reverse("reviews:conversation", args=[team["loose"].pk])).content.decode()
    assert replacement is None
    assert Assignment.objects.filter(reviewer=cleo, status="assigned").count() == batch_before - 1
    assert f"Sent to {cleo.name}" in page
    assert ": handed back (sensitive)" in page
    # Not one of the batch's hand-backs, which tune the sync's thresholds.
    week_page = client.get(reverse("reviews:team_week", args=[team["builder"].team.pk])).content.decode()
    assert "<li>Sensitive: 0</li>" in week_page


def test_the_teammate_sees_the_other_review_only_after_writing_theirs(team):
    batch = Assignment.objects.filter(week=team["week"], role="first").first()
    review_submit(assignment=batch, answers=answers(), actor=batch.reviewer.user)
    other = next(a for a in team["agents"] if a.pk not in (batch.reviewer_id, batch.reviewee_id))
    Assignment.objects.filter(conversation=batch.conversation, reviewer=other).delete()
    sent = review_request(conversation=batch.conversation, reviewer=other, by=team["lead"])

    from reviews.access import visible_reviews

    assert not visible_reviews(other.user).filter(assignment=batch).exists()
    review_submit(assignment=sent, answers=answers(), actor=other.user)
    assert visible_reviews(other.user).filter(assignment=batch).exists()


def test_a_third_review_a_lead_asked_for_leaves_the_agreement_figures_alone(
    client, team_of_five, monday, django_user_model
):
    builder, agents = team_of_five
    from reviews.models import TeamSettings

    TeamSettings.objects.create(team=builder.team, second_opinion_percent=50)
    week = week_assign(team=builder.team)
    seconded = Assignment.objects.filter(week=week, role="second").select_related("conversation")
    for second in seconded:
        first = Assignment.objects.get(week=week, role="first", conversation=second.conversation)
        review_submit(assignment=first, answers=answers(quality=1, tone=1))
        review_submit(assignment=second, answers=answers(quality=1, tone=2))
    lead = django_user_model.objects.create_user("lead@ledgerly.example", password="pw")
    builder.team.leads.add(lead)
    client.force_login(lead)
    url = reverse("reviews:agreement", args=[builder.team.pk])

    def figures():
        # The page without its sign-out form's CSRF token, which changes per request.
        return re.sub(r'name="csrfmiddlewaretoken" value="\w+"', "", client.get(url).content.decode())

    before = figures()
    conversation = seconded[0].conversation
    busy = set(Assignment.objects.filter(conversation=conversation).values_list("reviewer_id", flat=True))
    third = next(a for a in agents if a.pk not in busy | {conversation.assignee_id})

    sent = review_request(conversation=conversation, reviewer=third, by=lead)
    review_submit(assignment=sent, answers=answers(quality=3, tone=3, followed=False))

    assert seconded.exists()
    assert "Krippendorff" in before or "alpha" in before
    assert figures() == before


def test_a_teammate_of_another_team_is_refused_but_a_lead_answering_elsewhere_reviews_it(team, build):
    elsewhere = build("Elsewhere").agent("Edda")

    with pytest.raises(RequestError, match="^Edda is not in the team this conversation belongs to.$"):
        review_request(conversation=team["loose"], reviewer=elsewhere, by=team["lead"])
    team["builder"].team.leads.add(elsewhere.user)
    mine = review_request(conversation=team["loose"], reviewer=elsewhere, by=elsewhere.user)
    assert mine.reviewer == elsewhere
