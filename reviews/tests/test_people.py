"""A lead's people page: inviting helpdesk teammates, choosing leads, marking absences."""

import re
from datetime import date, timedelta
from urllib.parse import urlsplit

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.urls import reverse

from conversations.models import Agent
from reviews import services
from reviews.models import AgentWeek, Assignment, Invitation
from reviews.tests.factories import MONDAY

pytestmark = pytest.mark.django_db
User = get_user_model()


@pytest.fixture
def team(team_of_five, monday):
    builder, agents = team_of_five
    lead = User.objects.create_user("lead@ledgerly.example", email="lead@ledgerly.example", password="pw")
    builder.team.leads.add(lead)
    newcomer = Agent.objects.create(
        source="file", external_id="nia", name="Nia Okafor", email="nia@ledgerly.example", team=builder.team
    )
    return {"team": builder.team, "agents": agents, "lead": lead, "newcomer": newcomer}


def _invite(client, team, agent, capture) -> str:
    """Posts the invitation as the lead; returns the link the email (sent on commit) carries."""
    client.force_login(team["lead"])
    with capture(execute=True):
        response = client.post(reverse("reviews:invite", args=[team["team"].pk]), {"agent_id": agent.pk})
    assert response.status_code == 302
    link = re.search(r"http://\S+/accounts/invitation/\S+/", str(mail.outbox[-1].body))
    assert link is not None
    return link.group(0)


def _path(link: str) -> str:
    return urlsplit(link).path


def test_an_invited_teammate_chooses_a_password_and_lands_in_their_week_linked_to_their_helpdesk_self(
    client, team, django_capture_on_commit_callbacks
):
    link = _invite(client, team, team["newcomer"], django_capture_on_commit_callbacks)
    assert mail.outbox[-1].to == ["nia@ledgerly.example"]
    assert "lead@ledgerly.example invites you" in mail.outbox[-1].subject
    client.logout()

    page = client.get(_path(link))
    assert page.status_code == 200
    assert "Nia Okafor" in page.content.decode()

    mismatch = client.post(_path(link), {"password1": "harbour-lantern-42", "password2": "harbour-lantern-43"})
    assert mismatch.status_code == 200
    assert "The two passwords are not the same." in mismatch.content.decode()
    assert not User.objects.filter(email="nia@ledgerly.example").exists()

    joined = client.post(_path(link), {"password1": "harbour-lantern-42", "password2": "harbour-lantern-42"})
    assert joined.status_code == 302
    user = User.objects.get(email="nia@ledgerly.example")
    assert Agent.objects.get(pk=team["newcomer"].pk).user == user
    assert user.check_password("harbour-lantern-42")
    assert (user.first_name, user.last_name) == ("Nia", "Okafor")
    assert client.get(reverse("reviews:my_week")).status_code == 200  # signed in

    client.logout()
    again = client.get(_path(link))
    assert again.status_code == 410
    assert "It was used on" in again.content.decode()


def test_a_weak_password_is_refused_in_plain_words_and_no_account_is_made(
    client, team, django_capture_on_commit_callbacks
):
    link = _invite(client, team, team["newcomer"], django_capture_on_commit_callbacks)
    client.logout()

    weak = client.post(_path(link), {"password1": "nia", "password2": "nia"})

    assert weak.status_code == 200
    assert "too short" in weak.content.decode()
    assert not User.objects.filter(email="nia@ledgerly.example").exists()


def test_a_link_expires_after_seven_days_and_a_new_invitation_replaces_the_old_link(
    client, team, monday, django_capture_on_commit_callbacks
):
    first = _invite(client, team, team["newcomer"], django_capture_on_commit_callbacks)
    second = _invite(client, team, team["newcomer"], django_capture_on_commit_callbacks)
    client.logout()

    replaced = client.get(_path(first))
    assert replaced.status_code == 410
    assert "replaced by a newer invitation" in replaced.content.decode()
    assert client.get(_path(second)).status_code == 200

    monday.move_to(MONDAY + timedelta(days=7, minutes=1))
    expired = client.get(_path(second))
    assert expired.status_code == 410
    assert "It expired on Mon 30 Nov, 09:00" in expired.content.decode()
    late = client.post(_path(second), {"password1": "harbour-lantern-42", "password2": "harbour-lantern-42"})
    assert late.status_code == 410
    assert not User.objects.filter(email="nia@ledgerly.example").exists()


def test_an_unknown_link_says_so_and_names_no_one(client, team):
    response = client.get(reverse("invitation_accept", args=["not-a-real-secret"]))

    assert response.status_code == 410
    assert "Ask your lead to send a new one" in response.content.decode()


def test_only_the_secret_s_hash_is_kept(client, team, django_capture_on_commit_callbacks):
    with_link = _invite(client, team, team["newcomer"], django_capture_on_commit_callbacks)
    secret = with_link.rstrip("/").rsplit("/", 1)[1]

    stored = Invitation.objects.get()
    assert secret not in stored.token_hash
    assert len(stored.token_hash) == 64


def test_teammates_with_an_account_or_without_an_email_are_not_invited(client, team):
    client.force_login(team["lead"])
    linked = team["agents"][0]
    no_email = Agent.objects.create(source="file", external_id="x", name="Xu", email="", team=team["team"])
    gone = Agent.objects.create(
        source="file", external_id="y", name="Yan", email="yan@ledgerly.example", team=team["team"], is_active=False
    )

    for agent, words in [
        (linked, "already has a Carousel account"),
        (no_email, "has no email for Xu"),
        (gone, "Yan is deactivated in the helpdesk"),
    ]:
        response = client.post(reverse("reviews:invite", args=[team["team"].pk]), {"agent_id": agent.pk}, follow=True)
        assert words in response.content.decode()
    assert not Invitation.objects.exists()
    assert mail.outbox == []


def test_the_people_page_shows_accounts_invitations_roles_and_absences(
    client, team, django_assert_max_num_queries, django_capture_on_commit_callbacks
):
    _invite(client, team, team["newcomer"], django_capture_on_commit_callbacks)
    services.absence_add(
        agent=team["agents"][1], starts_on=date(2026, 12, 7), ends_on=date(2026, 12, 11), by=team["lead"]
    )

    # Session, user, the team, the menu's two, then the team's settings, leads, teammates,
    # invitations, absences.
    with django_assert_max_num_queries(10):
        page = client.get(reverse("reviews:team_people", args=[team["team"].pk])).content.decode()

    assert "Invited, link valid until Mon 30 Nov" in page
    assert "Mon 7 Dec – Fri 11 Dec" in page
    assert page.count("Signed up") == 5
    assert "Also leading this team: lead@ledgerly.example." in page


def test_the_people_page_costs_the_same_queries_for_a_bigger_team(client, team):
    client.force_login(team["lead"])
    url = reverse("reviews:team_people", args=[team["team"].pk])
    client.get(url)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as small:
        client.get(url)
    for number in range(10):
        agent = Agent.objects.create(
            source="file", external_id=f"more-{number}", name=f"More {number}", team=team["team"]
        )
        services.absence_add(agent=agent, starts_on=date(2026, 12, 1), ends_on=date(2026, 12, 2), by=team["lead"])
    with CaptureQueriesContext(connection) as big:
        client.get(url)

    assert len(big) == len(small)


def test_a_lead_makes_a_teammate_a_lead_who_then_sees_the_team_pages(client, team):
    ben = team["agents"][1]
    client.force_login(team["lead"])

    client.post(reverse("reviews:lead_change", args=[team["team"].pk]), {"agent_id": ben.pk, "lead": "yes"})

    client.force_login(ben.user)
    assert client.get(reverse("reviews:team_week", args=[team["team"].pk])).status_code == 200
    client.force_login(team["lead"])
    client.post(reverse("reviews:lead_change", args=[team["team"].pk]), {"agent_id": ben.pk, "lead": "no"})
    client.force_login(ben.user)
    assert client.get(reverse("reviews:team_week", args=[team["team"].pk])).status_code == 404


def test_a_lead_cannot_remove_themselves_as_lead(client, team):
    ana = team["agents"][0]
    team["team"].leads.add(ana.user)
    client.force_login(ana.user)

    response = client.post(
        reverse("reviews:lead_change", args=[team["team"].pk]), {"agent_id": ana.pk, "lead": "no"}, follow=True
    )

    assert "You cannot remove yourself as a lead" in response.content.decode()
    assert team["team"].leads.filter(pk=ana.user.pk).exists()


def test_a_teammate_without_an_account_cannot_be_made_a_lead(client, team):
    client.force_login(team["lead"])

    response = client.post(
        reverse("reviews:lead_change", args=[team["team"].pk]),
        {"agent_id": team["newcomer"].pk, "lead": "yes"},
        follow=True,
    )

    assert "has no Carousel account yet" in response.content.decode()
    assert list(team["team"].leads.all()) == [team["lead"]]


def test_a_lead_of_another_team_cannot_act_on_this_teams_people(client, team, build):
    other = build("Billing")
    other_lead = User.objects.create_user("ol@ledgerly.example", email="ol@ledgerly.example", password="pw")
    other.team.leads.add(other_lead)
    client.force_login(other_lead)

    # Their own team's id with this team's agent: the agent is not found in the team they lead.
    response = client.post(reverse("reviews:invite", args=[other.team.pk]), {"agent_id": team["newcomer"].pk})

    assert response.status_code == 404
    assert not Invitation.objects.exists()


# --- Absences and the quota -----------------------------------------------------------------


def _next_week_quota(agent) -> AgentWeek:
    week = services.week_assign(team=agent.team, now=MONDAY + timedelta(days=7))
    return AgentWeek.objects.get(week=week, agent=agent)


@pytest.mark.parametrize(
    ("first", "last", "quota", "away"),
    [
        (date(2026, 11, 30), date(2026, 12, 1), 3, False),  # Mon-Tue away: 3 of 5 working days, 5 x 3/5
        (date(2026, 12, 2), date(2026, 12, 2), 4, False),  # one day: 5 x 4/5
        (date(2026, 12, 4), date(2026, 12, 6), 4, False),  # Fri-Sun: only Friday is a working day
        (date(2026, 11, 27), date(2026, 12, 6), 0, True),  # the whole working week
        (date(2026, 12, 5), date(2026, 12, 6), 5, False),  # the weekend only: nothing changes
        (date(2026, 12, 7), date(2026, 12, 11), 5, False),  # the week after
    ],
)
def test_days_away_shrink_the_weeks_quota_by_their_share_of_working_days(team, first, last, quota, away):
    ben = team["agents"][1]
    services.absence_add(agent=ben, starts_on=first, ends_on=last, by=team["lead"], now=MONDAY)

    agent_week = _next_week_quota(ben)

    assert (agent_week.quota, agent_week.is_away) == (quota, away)
    assert Assignment.objects.filter(week=agent_week.week, reviewer=ben).count() == quota
    assert agent_week.required == quota


def test_a_quota_share_is_rounded_up(team):
    settings = services.team_settings_get(team=team["team"])
    settings.reviews_per_week = 3
    settings.save()
    ben = team["agents"][1]
    services.absence_add(
        agent=ben, starts_on=date(2026, 11, 30), ends_on=date(2026, 12, 2), by=team["lead"], now=MONDAY
    )

    assert _next_week_quota(ben).quota == 2  # 3 x 2/5 = 1.2, rounded up


def test_an_absence_in_the_running_week_shrinks_it_now_and_hands_back_what_they_will_not_review(team, client):
    week = services.week_assign(team=team["team"])
    ben = team["agents"][1]
    assert AgentWeek.objects.get(week=week, agent=ben).quota == 5
    client.force_login(team["lead"])

    # Away Wednesday to Friday of this week (23-27 Nov): 2 of 5 working days left.
    response = client.post(
        reverse("reviews:absence_create", args=[team["team"].pk]),
        {"agent": ben.pk, "starts_on": "2026-11-25", "ends_on": "2026-11-27"},
        follow=True,
    )

    assert "is away Wed 25 Nov to Fri 27 Nov" in response.content.decode()
    agent_week = AgentWeek.objects.get(week=week, agent=ben)
    assert (agent_week.quota, agent_week.required) == (2, 2)
    mine = Assignment.objects.filter(week=week, reviewer=ben)
    assert mine.filter(status=Assignment.Status.ASSIGNED).count() == 2
    assert mine.filter(status=Assignment.Status.RELEASED).count() == 3
    # The three go back to the pool: a teammate can pull them.
    ana = team["agents"][0]
    pulled = services.assignments_pull(agent=ana, count=20)
    released = set(mine.filter(status=Assignment.Status.RELEASED).values_list("conversation_id", flat=True))
    assert released & {assignment.conversation_id for assignment in pulled}


def test_reviews_already_done_are_kept_when_the_quota_shrinks(team):
    week = services.week_assign(team=team["team"])
    ben = team["agents"][1]
    done = list(Assignment.objects.filter(week=week, reviewer=ben)[:3])
    for assignment in done:
        Assignment.objects.filter(pk=assignment.pk).update(status=Assignment.Status.COMPLETED, completed_at=MONDAY)

    services.absence_add(agent=ben, starts_on=date(2026, 11, 25), ends_on=date(2026, 11, 27), by=team["lead"])

    mine = Assignment.objects.filter(week=week, reviewer=ben)
    assert mine.filter(status=Assignment.Status.COMPLETED).count() == 3
    assert mine.filter(status=Assignment.Status.ASSIGNED).count() == 0
    assert AgentWeek.objects.get(week=week, agent=ben).required == 2


def test_a_wrong_absence_is_refused_in_plain_words_and_keeps_what_was_typed(client, team):
    client.force_login(team["lead"])
    ben = team["agents"][1]

    response = client.post(
        reverse("reviews:absence_create", args=[team["team"].pk]),
        {"agent": ben.pk, "starts_on": "2026-12-10", "ends_on": "2026-12-08"},
    )

    assert response.status_code == 400
    page = response.content.decode()
    assert "The last day away cannot be before the first day away." in page
    assert 'value="2026-12-10"' in page and 'value="2026-12-08"' in page
    assert f'<option value="{ben.pk}" selected>' in page
    assert not ben.absences.exists()


def test_the_database_refuses_an_absence_that_ends_before_it_starts(team):
    from django.db import IntegrityError

    from reviews.models import Absence

    with pytest.raises(IntegrityError):
        Absence.objects.create(agent=team["agents"][0], starts_on=date(2026, 12, 10), ends_on=date(2026, 12, 8))


def test_a_lead_removes_an_absence(client, team):
    ben = team["agents"][1]
    absence = services.absence_add(agent=ben, starts_on=date(2026, 12, 7), ends_on=date(2026, 12, 8), by=team["lead"])
    client.force_login(team["lead"])

    client.post(reverse("reviews:absence_delete", args=[team["team"].pk, absence.pk]))

    assert not ben.absences.exists()
