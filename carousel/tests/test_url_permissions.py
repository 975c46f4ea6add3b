"""Walks every URL in the URLconf as anonymous, as an agent of another team, as an uninvolved
teammate, as the people involved and as the lead, and checks what each may see.

A new URL fails `test_every_url_has_rules` until its rules are written here.
"""

import pytest
from django.contrib.auth import get_user_model
from django.urls import URLResolver, get_resolver, reverse

from conversations.models import Message, SyncProblem, SyncRun
from reviews import services
from reviews.models import Assignment
from reviews.services import week_assign
from reviews.tests.factories import MONDAY

pytestmark = pytest.mark.django_db

SECRET_NOTE = "Confidential coaching note 7731"
SECRET_BODY = "Customer card ending 4242 was double charged"
PUBLIC = {
    "healthz",
    "login",
    "logout",
    "password_reset",
    "password_reset_done",
    "password_reset_confirm",
    "password_reset_complete",
}


def url_names():
    def walk(patterns, namespace=None):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                if pattern.app_name == "admin":
                    continue
                yield from walk(pattern.url_patterns, pattern.namespace or namespace)
            else:
                yield f"{namespace}:{pattern.name}" if namespace else pattern.name

    return sorted(set(walk(get_resolver().url_patterns)))


# Per URL: which object its ids point at, and the status each persona gets.
# ok = 200 (or a redirect after a POST), hidden = 404 (or 403), login = sent to sign in.
RULES = {
    "conversations:sync_status": ({}, {"outsider": "hidden", "teammate": "hidden", "reviewer": "hidden", "lead": "ok"}),
    # Runs are per helpdesk, not per team: any lead sees the counts, never other teams' payloads.
    "conversations:sync_run_detail": (
        {"run_id": "run"},
        {"outsider": "hidden", "teammate": "hidden", "reviewer": "hidden", "lead": "ok", "other_lead": "ok"},
    ),
    "conversations:excluded": ({}, {"outsider": "hidden", "teammate": "hidden", "reviewer": "hidden", "lead": "ok"}),
    "reviews:home": ({}, {"outsider": "ok", "teammate": "ok", "reviewer": "ok", "lead": "ok"}),
    "reviews:my_week": ({}, {"outsider": "ok", "teammate": "ok", "reviewer": "ok", "lead": "ok"}),
    "reviews:pull": ({}, {"outsider": "ok", "teammate": "ok", "reviewer": "ok", "lead": "hidden"}),
    "reviews:skip": (
        {"assignment_id": "assignment"},
        {"outsider": "hidden", "teammate": "hidden", "reviewee": "hidden", "reviewer": "ok", "lead": "hidden"},
    ),
    "reviews:review": (
        {"assignment_id": "assignment"},
        {"outsider": "hidden", "teammate": "hidden", "reviewee": "hidden", "reviewer": "ok", "lead": "hidden"},
    ),
    "reviews:team_week": (
        {"team_id": "team"},
        {"outsider": "hidden", "teammate": "hidden", "reviewer": "hidden", "lead": "ok"},
    ),
    "reviews:trends": (
        {"team_id": "team"},
        {"outsider": "hidden", "teammate": "hidden", "reviewer": "hidden", "lead": "ok"},
    ),
    "reviews:agent_detail": (
        {"team_id": "team", "agent_id": "reviewee_agent"},
        {"outsider": "hidden", "teammate": "hidden", "reviewee": "hidden", "lead": "ok"},
    ),
    "reviews:export_reviews": (
        {"team_id": "team"},
        {"outsider": "hidden", "teammate": "hidden", "reviewer": "hidden", "lead": "ok"},
    ),
    "reviews:export_completion": (
        {"team_id": "team"},
        {"outsider": "hidden", "teammate": "hidden", "reviewer": "hidden", "lead": "ok"},
    ),
    "reviews:sign_in_unlock": (
        {"team_id": "team"},
        {"outsider": "hidden", "teammate": "hidden", "reviewer": "hidden", "lead": "ok"},
    ),
    "reviews:team_settings": (
        {"team_id": "team"},
        {"outsider": "hidden", "teammate": "hidden", "reviewer": "hidden", "lead": "ok"},
    ),
    "reviews:rubric_edit": (
        {"team_id": "team"},
        {"outsider": "hidden", "teammate": "hidden", "reviewer": "hidden", "lead": "ok"},
    ),
    "reviews:conversation": (
        {"conversation_id": "conversation"},
        {"outsider": "hidden", "teammate": "hidden", "reviewee": "ok", "reviewer": "ok", "lead": "ok"},
    ),
    "reviews:feedback": ({}, {"outsider": "ok", "teammate": "ok", "reviewee": "ok", "lead": "hidden"}),
    "reviews:written": ({}, {"outsider": "ok", "teammate": "ok", "reviewer": "ok", "lead": "hidden"}),
    "reviews:review_detail": (
        {"review_id": "review"},
        {"outsider": "hidden", "teammate": "hidden", "reviewee": "ok", "reviewer": "ok", "lead": "ok"},
    ),
    "reviews:review_seen": (
        {"review_id": "review"},
        {"outsider": "hidden", "teammate": "hidden", "reviewer": "hidden", "reviewee": "ok"},
    ),
    "reviews:review_comment": (
        {"review_id": "review"},
        {"outsider": "hidden", "teammate": "hidden", "reviewee": "ok", "reviewer": "ok", "lead": "ok"},
    ),
    "reviews:notifications": ({}, {"outsider": "ok", "teammate": "ok", "reviewer": "ok", "lead": "ok"}),
    "reviews:highlights": ({}, {"outsider": "ok", "teammate": "ok", "reviewer": "ok", "lead": "ok"}),
    "reviews:highlight_unshare": (
        {"review_id": "review"},
        {"outsider": "hidden", "teammate": "hidden", "reviewer": "hidden", "lead": "ok"},
    ),
    "password_change": ({}, {"outsider": "ok"}),
    "password_change_done": ({}, {"outsider": "ok"}),
}


@pytest.fixture
def world(team_of_five, build, monday):
    builder, agents = team_of_five
    week = week_assign(team=builder.team)
    assignment = Assignment.objects.filter(week=week).select_related("conversation").first()
    Message.objects.create(
        conversation=assignment.conversation,
        external_id="1",
        author_kind="customer",
        created_at=MONDAY,
        body_html=f"<p>{SECRET_BODY}</p>",
        body_text=SECRET_BODY,
    )
    review = services.review_submit(
        assignment=assignment,
        answers={
            "quality": 2,
            "quality_note": SECRET_NOTE,
            "tone": 2,
            "tone_note": "",
            "followed_process": True,
            "process_note": "",
            "share_as_example": False,
        },
    )
    teammate = next(a for a in agents if a.pk not in (assignment.reviewer_id, assignment.reviewee_id))
    lead = get_user_model().objects.create_user("lead@ledgerly.example", email="lead@ledgerly.example", password="pw")
    builder.team.leads.add(lead)
    other = build("Other team")
    outsider = other.agent("Olga")
    other_lead = get_user_model().objects.create_user("olead@ledgerly.example", password="pw")
    other.team.leads.add(other_lead)
    run = SyncRun.objects.create(source="file", status="succeeded")
    SyncProblem.objects.create(run=run, external_id="9", message="bad", payload_excerpt=SECRET_BODY)
    return {
        "objects": {
            "team": builder.team.pk,
            "assignment": assignment.pk,
            "conversation": assignment.conversation_id,
            "review": review.pk,
            "reviewee_agent": assignment.reviewee_id,
            "reviewee_user": assignment.reviewee.user_id,
            "run": run.pk,
        },
        "people": {
            "outsider": outsider.user,
            "teammate": teammate.user,
            "reviewer": assignment.reviewer.user,
            "reviewee": assignment.reviewee.user,
            "lead": lead,
            "other_lead": other_lead,
        },
    }


def url_for(name, world):
    kwargs_spec = RULES[name][0]
    return reverse(name, kwargs={key: world["objects"][ref] for key, ref in kwargs_spec.items()})


# Valid forms for the actions, so an "ok" really performs the action, not a validation error.
ACTION_DATA = {
    "reviews:pull": {"count": 1},
    "reviews:skip": {"reason": "automated"},
    "reviews:review_comment": {"body": "Thanks!"},
    "reviews:sign_in_unlock": {"user_id": "reviewee_user"},
}


def request(client, url, name="", world=None):
    response = client.get(url)
    if response.status_code == 405:  # a POST-only action
        data = {
            key: world["objects"][value] if world and value in world["objects"] else value
            for key, value in ACTION_DATA.get(name, {}).items()
        }
        response = client.post(url, data)
    return response


def test_every_url_has_rules():
    assert set(url_names()) - PUBLIC == set(RULES)


@pytest.mark.parametrize("name", sorted(RULES))
def test_anonymous_visitors_are_sent_to_sign_in(client, world, name):
    response = request(client, url_for(name, world), name, world)

    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


@pytest.mark.parametrize("name", sorted(RULES))
def test_each_persona_gets_what_the_rules_say_and_nothing_leaks(client, world, name):
    expectations = {**{"other_lead": "hidden" if RULES[name][0] else "any"}, **RULES[name][1]}
    for persona, expected in expectations.items():
        client.force_login(world["people"][persona])
        response = request(client, url_for(name, world), name, world)
        status = response.status_code
        if expected == "hidden":
            assert status in (403, 404), f"{persona} on {name} got {status}"
        elif expected == "ok":
            assert status in (200, 302), f"{persona} on {name} got {status}"
            if status == 302:
                assert not response.url.startswith(reverse("login"))
        body = b"".join(response.streaming_content) if response.streaming else response.content
        if persona in ("outsider", "teammate", "other_lead"):
            assert SECRET_NOTE.encode() not in body, f"{persona} saw the review note on {name}"
            assert SECRET_BODY.encode() not in body, f"{persona} saw the transcript on {name}"


def test_a_lead_of_another_team_sees_nothing_of_this_one(client, world):
    client.force_login(world["people"]["other_lead"])
    for name, (kwargs_spec, _) in RULES.items():
        if not kwargs_spec or name == "conversations:sync_run_detail":
            continue
        assert request(client, url_for(name, world), name, world).status_code in (403, 404), name


def test_the_actions_the_rules_allow_really_happen(client, world):
    from reviews.models import ReviewComment

    client.force_login(world["people"]["reviewee"])
    request(client, url_for("reviews:review_comment", world), "reviews:review_comment")
    client.force_login(world["people"]["outsider"])
    request(client, url_for("reviews:review_comment", world), "reviews:review_comment")

    assert list(ReviewComment.objects.values_list("author__email", flat=True)) == [world["people"]["reviewee"].email]
