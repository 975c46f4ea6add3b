"""Navigation by role: where each person lands, and that no menu link is a dead end."""

import re

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from reviews import services
from reviews.models import Assignment

from .factories import answers

MENU = re.compile(r'<nav aria-label="Main" class="mainnav">(.*?)</nav>', re.S)


def _user(email: str, **extra):
    return get_user_model().objects.create_user(email, email=email, password="pw", **extra)


@pytest.fixture
def people(build, monday):
    """Two teams under way; an agent, a lead of one, a lead of both who also answers, staff,
    someone linked to nobody and an agent deactivated in the helpdesk."""
    support, billing = build("Support"), build("Billing")
    agents = {}
    for builder in (support, billing):
        for n in range(4):
            agent = builder.agent(f"{builder.team.name} {n}")
            builder.conversations(agent, 6)
            agents.setdefault(builder.team.name, []).append(agent)
        services.week_assign(team=builder.team)
    assignment = Assignment.objects.filter(week__team=support.team).first()
    services.review_submit(assignment=assignment, answers=answers())
    lead = _user("lead@support.example")
    support.team.leads.add(lead)
    both = agents["Support"][0]
    support.team.leads.add(both.user)
    billing.team.leads.add(both.user)
    gone = agents["Billing"][3]
    gone.is_active = False
    gone.save()
    return {
        "agent": agents["Support"][1].user,
        "reviewer": assignment.reviewer.user,
        "reviewee": assignment.reviewee.user,
        "lead": lead,
        "lead_who_answers": both.user,
        "staff": _user("staff@example.com", is_staff=True),
        "nobody": _user("nobody@example.com"),
        "gone": gone.user,
        "support": support.team,
        "billing": billing.team,
    }


def _landing(client, user) -> str:
    client.force_login(user)
    response = client.get(reverse("reviews:home"))
    return response.url if response.status_code == 302 else f"{response.status_code} {response.templates[0].name}"


def test_everyone_lands_where_their_work_is(client, people):
    assert _landing(client, people["agent"]) == reverse("reviews:my_week")
    assert _landing(client, people["lead"]) == reverse("reviews:team_week", args=[people["support"].pk])
    # A teammate who answers conversations and leads: their own week comes first.
    assert _landing(client, people["lead_who_answers"]) == reverse("reviews:my_week")
    assert _landing(client, people["staff"]) == reverse("reviews:teams")
    assert _landing(client, people["gone"]) == reverse("reviews:feedback")
    assert _landing(client, people["nobody"]) == "200 reviews/not_linked.html"


def test_a_lead_who_answers_but_gets_no_batch_lands_on_their_team_and_my_week_says_why(client, build, monday):
    team = build("Onboarding")
    nadia, luca = team.agent("Nadia"), team.agent("Luca")
    for agent in (nadia, luca):
        team.conversations(agent, 6)
    team.team.leads.add(nadia.user)  # leads do not review: the default settings
    services.week_assign(team=team.team)

    assert _landing(client, nadia.user) == reverse("reviews:team_week", args=[team.team.pk])
    page = client.get(reverse("reviews:my_week")).content.decode()
    assert "As a lead of Onboarding you get no weekly batch" in page
    assert _landing(client, luca.user) == reverse("reviews:my_week")


def test_a_lead_of_several_teams_without_a_teammate_lands_on_their_teams(client, people, build):
    build("Returns")  # a team they do not lead
    people["billing"].leads.add(people["lead"])
    client.force_login(people["lead"])

    page = client.get(reverse("reviews:home"), follow=True).content.decode()

    assert "<h1>Teams</h1>" in page
    assert re.findall(r'<td><a href="[^"]+">([^<]+)</a></td>', page) == ["Billing", "Support"]


def test_staff_see_every_team_on_the_teams_page(client, people, build):
    build("Returns")
    client.force_login(people["staff"])

    page = client.get(reverse("reviews:teams")).content.decode()

    assert re.findall(r'<td><a href="[^"]+">([^<]+)</a></td>', page) == ["Billing", "Returns", "Support"]


@pytest.mark.parametrize(
    "person", ["agent", "reviewer", "reviewee", "lead", "lead_who_answers", "staff", "nobody", "gone"]
)
def test_no_menu_link_is_a_dead_end(client, people, person):
    client.force_login(people[person])
    menu = MENU.search(
        client.get(reverse("reviews:feedback") if person == "gone" else "/", follow=True).content.decode()
    )
    links = re.findall(r'href="([^"]+)"', menu.group(1)) if menu else []

    for link in links:
        response = client.get(link, follow=True)
        assert response.status_code == 200, link
        assert "not linked to a helpdesk teammate" not in response.content.decode(), link


def test_the_menu_shows_only_what_each_role_can_use(client, people):
    def menu_of(person):
        client.force_login(people[person])
        page = client.get(reverse("reviews:highlights")).content.decode()
        return [name.strip() for name in re.findall(r"<a [^>]*>([^<]+)", MENU.search(page).group(1))]

    assert menu_of("agent") == ["My week", "Feedback", "Reviews I wrote", "Highlights", "Search"]
    assert menu_of("lead") == ["Highlights", "Search", "Support", "Sync"]
    assert menu_of("lead_who_answers") == [
        "My week",
        "Feedback",
        "Reviews I wrote",
        "Highlights",
        "Search",
        "Teams",
        "Sync",
    ]
    assert menu_of("staff") == ["Highlights", "Search", "Teams", "Sync", "Admin"]
    assert menu_of("gone") == ["Feedback", "Reviews I wrote", "Search"]


def test_the_menu_counts_new_feedback_for_the_reviewee(client, people):
    client.force_login(people["reviewee"])

    page = client.get(reverse("reviews:my_week")).content.decode()

    assert 'Feedback <span class="count">1<span class="visually-hidden"> new</span></span>' in page


@pytest.mark.parametrize(
    ("name", "team"),
    [
        ("team_week", "support"),
        ("trends", "support"),
        ("team_people", "support"),
        ("export", "support"),
        ("team_settings", "support"),
        ("reports", "support"),
        ("complaints", "support"),
        ("team_disputes", "support"),
        ("agreement", "support"),
        ("team_calibrations", "support"),
        ("scorecard", "support"),
    ],
)
def test_every_team_page_has_the_same_sub_navigation_and_an_h1(client, people, name, team):
    client.force_login(people["lead"])

    page = client.get(reverse(f"reviews:{name}", args=[people[team].pk])).content.decode()

    assert page.count("<h1") == 1
    subnav = re.search(r'<nav class="subnav" aria-label="Support">(.*?)</nav>', page, re.S).group(1)
    assert re.findall(r">([^<]+)</a>", subnav) == [
        "Weeks",
        "Trends",
        "People",
        "Export",
        "Review settings",
        "Reports",
        "Complaints",
        "Disputes",
        "Agreement",
        "Calibration",
        "Scorecard",
    ]
    assert subnav.count('aria-current="page"') == 1
