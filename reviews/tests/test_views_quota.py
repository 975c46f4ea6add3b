"""My week, pull more, hand back, and the lead's team week and settings: pages and permissions."""

import re
import threading

import pytest
import requests
from django.contrib.auth import get_user_model
from django.db import connection
from django.urls import reverse

from reviews.models import Assignment, TeamSettings
from reviews.services import review_request, week_assign

pytestmark = pytest.mark.django_db


@pytest.fixture
def week(team_of_five, monday):
    builder, agents = team_of_five
    return week_assign(team=builder.team)


@pytest.fixture
def ana(team_of_five):
    return team_of_five[1][0]


@pytest.fixture
def lead(team_of_five):
    user = get_user_model().objects.create_user("lead@ledgerly.example", password="pw")
    team_of_five[0].team.leads.add(user)
    return user


@pytest.fixture
def other_lead(build):
    other = build("Other team")
    user = get_user_model().objects.create_user("other.lead@ledgerly.example", password="pw")
    other.team.leads.add(user)
    return user


def test_my_week_shows_the_batch_and_progress(client, ana, week):
    client.force_login(ana.user)

    page = client.get(reverse("reviews:my_week")).content.decode()

    assert "0 of 5</strong> reviews done this week" in page
    for assignment in Assignment.objects.filter(reviewer=ana):
        assert str(assignment.conversation) in page
    assert "Pull more" in page


def test_pull_more_adds_conversations_and_says_so(client, ana, week):
    client.force_login(ana.user)

    response = client.post(reverse("reviews:pull"), {"count": 2}, follow=True)

    assert "Added 2 conversations to your week." in response.content.decode()
    assert Assignment.objects.filter(reviewer=ana, kind="pulled").count() == 2


def test_pull_more_rejects_a_bad_number(client, ana, week):
    client.force_login(ana.user)

    response = client.post(reverse("reviews:pull"), {"count": 500}, follow=True)

    assert "Choose between 1 and 20 conversations." in response.content.decode()
    assert not Assignment.objects.filter(kind="pulled").exists()


def test_handing_back_needs_a_reason_and_then_replaces_it(client, ana, week):
    client.force_login(ana.user)
    assignment = Assignment.objects.filter(reviewer=ana).first()
    url = reverse("reviews:skip", args=[assignment.pk])

    refused = client.post(url, {"reason": "other", "note": ""}, follow=True).content.decode()
    done = client.post(url, {"reason": "automated", "note": ""}, follow=True).content.decode()

    assert "Not handed back: Say in a few words" in refused
    assert "Handed back. A replacement is in your list." in done
    assert Assignment.objects.get(pk=assignment.pk).skip_reason == "automated"


def test_nobody_can_hand_back_someone_elses_assignment(client, team_of_five, week):
    _, agents = team_of_five
    not_hers = Assignment.objects.filter(reviewer=agents[1]).first()
    client.force_login(agents[0].user)

    response = client.post(reverse("reviews:skip", args=[not_hers.pk]), {"reason": "automated"})

    assert response.status_code == 404
    assert Assignment.objects.get(pk=not_hers.pk).status == "assigned"


def test_state_changes_need_post(client, ana, week):
    client.force_login(ana.user)
    assignment = Assignment.objects.filter(reviewer=ana).first()

    assert client.get(reverse("reviews:pull")).status_code == 405
    assert client.get(reverse("reviews:skip", args=[assignment.pk])).status_code == 405


def test_a_user_without_a_teammate_is_told_why_there_is_nothing(client, db):
    user = get_user_model().objects.create_user("new@ledgerly.example", password="pw")
    client.force_login(user)

    assert "not linked to a helpdesk teammate" in client.get(reverse("reviews:my_week")).content.decode()
    assert client.post(reverse("reviews:pull"), {"count": 1}).status_code == 404


def test_an_agent_first_seen_midweek_is_offered_their_batch_and_gets_it_on_asking(client, team_of_five, week):
    newcomer = team_of_five[0].agent("Finn")
    client.force_login(newcomer.user)

    offer = client.get(reverse("reviews:my_week")).content.decode()
    assert "Get my batch for this week" in offer
    assert not Assignment.objects.filter(week=week, reviewer=newcomer).exists()  # a GET writes nothing

    page = client.post(reverse("reviews:batch_join"), follow=True).content.decode()

    assert Assignment.objects.filter(week=week, reviewer=newcomer).count() == 5
    assert "0 of 5</strong>" in page and "Your batch for this week is ready." in page


def test_the_lead_sees_completion_shortfall_and_hand_backs(client, lead, team_of_five, week):
    _, agents = team_of_five
    from reviews.services import assignment_complete, assignment_skip

    assignment_complete(assignment=Assignment.objects.filter(reviewer=agents[0]).first())
    assignment_skip(assignment=Assignment.objects.filter(reviewer=agents[1]).first(), reason="wrong_language")
    client.force_login(lead)

    page = client.get(reverse("reviews:team_week", args=[week.team_id])).content.decode()

    assert "Team completion: <strong>4%</strong>" in page
    assert "Wrong language: 1" in page
    assert "4 to go" in page


def test_the_lead_changes_the_teams_settings_with_clear_errors(client, lead, week):
    client.force_login(lead)
    url = reverse("reviews:team_settings", args=[week.team_id])
    valid = {
        "reviews_per_week": 3,
        "week_starts_on": 6,
        "week_starts_at": "08:00",
        "time_zone": "Europe/Berlin",
        "lookback_days": 7,
        "max_lookback_days": 28,
        "lowest_csat_percent": 20,
        "highest_csat_percent": 20,
        "midweek_joiners": "full",
        "second_opinion_percent": 15,
        "ramp_weeks": 6,
        "ramp_multiplier": 3,
        "dispute_days": 10,
        "spotlight_percent": 25,
        "spotlight_signals": ["complaint", "reopened"],
        "complaint_tags": "complaint, Refund-Complaint",
        "escalation_tags": "escalation",
        "slow_close_hours": 48,
        "many_back_and_forths": 5,
        "complaint_topics": "Refund delays\nApp crashes\n",
    }

    form = client.get(url).content.decode()
    shares = {"lowest_csat_percent": 80, "highest_csat_percent": 80}
    bad = client.post(url, {**valid, "time_zone": "Mars/Olympus", **shares})
    too_few = client.post(url, {**valid, "reviews_per_week": 0}).content.decode()
    too_many_seconds = client.post(url, {**valid, "second_opinion_percent": 60}).content.decode()
    too_much_spotlight = client.post(url, {**valid, "spotlight_percent": 70}).content.decode()
    unknown_signal = client.post(url, {**valid, "spotlight_signals": ["moon_phase"]}).content.decode()
    good = client.post(url, valid)

    # The browser is offered the bounds the server checks, and a list of real time zones.
    assert re.search(r'<input type="number" name="reviews_per_week"[^>]* min="1" max="50"', form)
    assert '<option value="Europe/Berlin">Europe/Berlin</option>' in form
    errors = bad.content.decode()
    assert "is not a time zone name" in errors
    assert "The lowest and highest CSAT shares add up to 160%; together they can be at most 100%." in errors
    assert "Constraint" not in errors and "teamsettings_" not in errors
    # What was typed stays in the form.
    assert re.search(r'name="highest_csat_percent" value="80"', errors)
    assert "Ensure this value is greater than or equal to 1." in too_few
    assert "Ensure this value is less than or equal to 50." in too_many_seconds
    assert "With the CSAT shares (40%) the spotlight can be at most 60%." in too_much_spotlight
    assert "Select a valid choice. moon_phase is not one of the available choices." in unknown_signal
    assert good.status_code == 302
    saved = TeamSettings.objects.get(team_id=week.team_id)
    assert (saved.reviews_per_week, saved.week_starts_on, saved.time_zone) == (3, 6, "Europe/Berlin")
    assert (saved.second_opinion_percent, saved.ramp_weeks, saved.ramp_multiplier) == (15, 6, 3)
    assert (saved.spotlight_percent, saved.spotlight_signals) == (25, ["complaint", "reopened"])
    assert saved.complaint_tag_list == ["complaint", "refund-complaint"]
    assert saved.complaint_topic_list == ["Refund delays", "App crashes"]


def test_team_pages_are_404_for_agents_and_other_teams_leads(client, ana, other_lead, week):
    for user in (ana.user, other_lead):
        client.force_login(user)
        assert client.get(reverse("reviews:team_week", args=[week.team_id])).status_code == 404
        assert client.post(reverse("reviews:team_settings", args=[week.team_id]), {}).status_code == 404


def test_anonymous_users_are_sent_to_sign_in(client, week):
    for url in (reverse("reviews:my_week"), reverse("reviews:team_week", args=[week.team_id])):
        response = client.get(url)
        assert response.status_code == 302 and response.url.startswith(reverse("login"))


def test_my_week_and_team_week_queries_do_not_grow_with_the_batch(client, build, monday, django_assert_max_num_queries):
    builder = build()
    agents = [builder.agent(f"Agent {n}") for n in range(25)]
    for agent in agents:
        builder.conversations(agent, 6)
    settings = TeamSettings.objects.create(team=builder.team, reviews_per_week=5)
    week_assign(team=settings.team)
    lead = get_user_model().objects.create_user("l@x.example", password="pw")
    builder.team.leads.add(lead)
    # And conversations a lead sent, listed apart on both pages.
    for conversation in builder.conversations(agents[1], 6):
        review_request(conversation=conversation, reviewer=agents[0], by=lead, note="Look")

    client.force_login(agents[0].user)
    with django_assert_max_num_queries(15):
        assert client.get(reverse("reviews:my_week")).status_code == 200
    client.force_login(lead)
    with django_assert_max_num_queries(16):  # with the menu's two
        assert client.get(reverse("reviews:team_week", args=[builder.team.pk])).status_code == 200


@pytest.mark.django_db(transaction=True)
def test_agents_pulling_at_the_same_moment_never_get_the_same_conversation(live_server, build, monday, settings):
    if connection.vendor != "postgresql":
        pytest.skip("row locks need PostgreSQL: the second pass of scripts/test")
    # The live server speaks plain HTTP, where clients do not send secure cookies back.
    settings.SESSION_COOKIE_SECURE = settings.CSRF_COOKIE_SECURE = False
    builder = build()
    pullers = [builder.agent(f"Puller {n}") for n in range(6)]
    owner = builder.agent("Owner", user=False)
    builder.conversations(owner, 40)
    week_assign(team=builder.team)  # everyone's batch first; the pool keeps the rest
    sessions = []
    for agent in pullers:
        session = requests.Session()
        login = live_server.url + reverse("login")
        session.get(login)
        session.post(
            login,
            {"username": agent.user.username, "password": "pw", "csrfmiddlewaretoken": session.cookies["csrftoken"]},
            headers={"Referer": login},
        )
        sessions.append(session)
    barrier = threading.Barrier(len(sessions))
    statuses = []

    def pull(session):
        barrier.wait()
        response = session.post(
            live_server.url + reverse("reviews:pull"),
            {"count": 5, "csrfmiddlewaretoken": session.cookies["csrftoken"]},
            headers={"Referer": live_server.url},
        )
        statuses.append(response.status_code)

    threads = [threading.Thread(target=pull, args=(session,)) for session in sessions]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert statuses == [200] * 6
    # The batches hold 30 reviews: 27 conversations, 3 of them with a second opinion (10%).
    seconds = list(Assignment.objects.filter(role="second").values_list("conversation_id", flat=True))
    assert len(seconds) == len(set(seconds)) == 3
    pulled = list(Assignment.objects.filter(kind="pulled").values_list("conversation_id", flat=True))
    first = list(Assignment.objects.active().filter(role="first").values_list("conversation_id", flat=True))
    assert len(pulled) == 40 - 27
    assert len(first) == len(set(first)) == 40
    pairs = list(Assignment.objects.active().values_list("conversation_id", "reviewer_id"))
    assert len(pairs) == len(set(pairs)) == 43, "nobody holds one conversation twice"
