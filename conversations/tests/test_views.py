"""The lead-facing sync pages: what was fetched, what was excluded and why, who to invite."""

import pytest
from django.urls import reverse
from django.utils import timezone

from conversations.models import Agent, Conversation, ExclusionReason, SyncProblem, SyncRun

pytestmark = pytest.mark.django_db


def excluded(team, external_id, reason, subject):
    now = timezone.now()
    return Conversation.objects.create(
        source="file",
        external_id=external_id,
        team=team,
        subject=subject,
        created_at=now,
        updated_at=now,
        exclusion_reason=reason,
    )


@pytest.fixture
def sync_history(billing, product):
    run = SyncRun.objects.create(
        source="file",
        status=SyncRun.Status.FAILED,
        fetched=3,
        kept=1,
        errors=1,
        excluded_counts={"short": 1, "spam_tag": 1},
        error_text="The Intercom token was rejected (HTTP 401).",
        finished_at=timezone.now(),
    )
    SyncProblem.objects.create(run=run, external_id="777", message="Unreadable conversation: KeyError('id')")
    excluded(billing, "b1", ExclusionReason.SHORT, "Billing short thread")
    excluded(billing, "b2", ExclusionReason.SPAM_TAG, "Billing SEO offer")
    excluded(product, "p1", ExclusionReason.SHORT, "Product short thread")
    Agent.objects.create(source="file", external_id="x", name="Nina Uninvited", email="nina@example.com", team=billing)
    return run


def test_a_lead_sees_runs_errors_exclusions_and_teammates_to_invite(client, billing_lead, sync_history):
    client.force_login(billing_lead)

    page = client.get(reverse("conversations:sync_status")).content.decode()

    assert "The Intercom token was rejected (HTTP 401)." in page
    assert "Too short to review</a>: 1" in page
    assert "Spam (spam tag)</a>: 1" in page
    assert "Nina Uninvited" in page


def test_a_lead_sees_only_their_own_teams_excluded_conversations(client, billing_lead, sync_history):
    client.force_login(billing_lead)

    page = client.get(reverse("conversations:excluded")).content.decode()
    short_only = client.get(reverse("conversations:excluded"), {"reason": "short"}).content.decode()

    assert "Billing short thread" in page and "Billing SEO offer" in page
    assert "Product short thread" not in page
    assert "Billing short thread" in short_only and "Billing SEO offer" not in short_only


def test_the_run_page_lists_the_records_that_were_skipped(client, billing_lead, sync_history):
    client.force_login(billing_lead)

    page = client.get(reverse("conversations:sync_run_detail", args=[sync_history.pk])).content.decode()

    assert "777" in page and "Unreadable conversation: KeyError(&#x27;id&#x27;)" in page
    # What was set aside reads in words, never as the stored codes.
    assert "<dd>Too short to review: 1, Spam (spam tag): 1</dd>" in page
    assert "spam_tag" not in page


def test_staff_see_every_team(client, staff_user, sync_history):
    client.force_login(staff_user)

    page = client.get(reverse("conversations:excluded")).content.decode()

    assert "Product short thread" in page and "Billing short thread" in page


@pytest.mark.parametrize("name,args", [("sync_status", []), ("excluded", []), ("sync_run_detail", ["run"])])
def test_agents_are_refused_and_anonymous_users_sent_to_sign_in(client, agent_user, sync_history, name, args):
    url = reverse(f"conversations:{name}", args=[sync_history.pk if arg == "run" else arg for arg in args])

    anonymous = client.get(url)
    client.force_login(agent_user)
    as_agent = client.get(url)

    assert anonymous.status_code == 302 and anonymous.url.startswith(reverse("login"))
    assert as_agent.status_code == 403


def test_the_excluded_list_has_a_fixed_number_of_queries(client, billing_lead, billing, django_assert_max_num_queries):
    for number in range(60):
        excluded(billing, f"s{number}", ExclusionReason.SHORT, f"Short {number}")
    client.force_login(billing_lead)

    with django_assert_max_num_queries(8):
        response = client.get(reverse("conversations:excluded"))

    assert response.status_code == 200
    assert response.content.decode().count("Too short to review") >= 50


def test_the_sync_page_has_a_fixed_number_of_queries(client, billing_lead, django_assert_max_num_queries):
    for _ in range(20):
        SyncRun.objects.create(source="intercom", status=SyncRun.Status.SUCCEEDED, finished_at=timezone.now())
    client.force_login(billing_lead)

    with django_assert_max_num_queries(10):
        assert client.get(reverse("conversations:sync_status")).status_code == 200
