"""What the sync measures for spotlight sampling: the customer's sentiment (VADER, shipped in
its package), the back-and-forths, and the reopens where the helpdesk says."""

from datetime import UTC, datetime

import pytest
import time_machine

from conversations.helpdesks.files import FileHelpdesk
from conversations.models import Conversation, SyncRun
from conversations.services import conversations_sync
from conversations.spotlight import back_and_forths, customer_sentiment
from conversations.tests import fake_intercom as fake

pytestmark = pytest.mark.django_db

BASE = int(datetime(2026, 11, 20, 9, 0, tzinfo=UTC).timestamp())
ANGRY = "<p>This is the third time I was charged twice. Terrible service, I am furious and want my money back now!</p>"


@pytest.fixture(autouse=True)
def morning_before_the_conversations():
    with time_machine.travel(datetime(2026, 11, 20, 8, 0, tzinfo=UTC), tick=True):
        yield


@pytest.fixture
def helpdesk(fake_intercom):
    fake_intercom.teams = [fake.team("700", "Billing", admin_ids=["101"])]
    fake_intercom.admins = [fake.admin("101", "Maya Patel", "maya@ledgerly.example", team_ids=[700])]
    return fake_intercom


def statistics(**counts) -> dict:
    """Intercom's conversation_statistics object, as the 2.16 description lists it."""
    return {
        "type": "conversation_statistics",
        "time_to_assignment": 2310,
        "time_to_admin_reply": 2310,
        "time_to_first_close": 2310,
        "time_to_last_close": 2310,
        "median_time_to_reply": 2310,
        "first_contact_reply_at": BASE - 3000,
        "first_assignment_at": BASE - 3000,
        "first_admin_reply_at": BASE - 2900,
        "first_close_at": BASE - 2000,
        "last_assignment_at": BASE - 3000,
        "last_assignment_admin_reply_at": BASE - 2900,
        "last_contact_reply_at": BASE - 100,
        "last_admin_reply_at": BASE - 60,
        "last_close_at": BASE,
        "last_closed_by_id": "101",
        "count_reopens": 0,
        "count_assignments": 1,
        "count_conversation_parts": 7,
        **counts,
    }


def sync(intercom_client):
    return conversations_sync(source="intercom", helpdesk=intercom_client(page_size=150))


def test_back_and_forths_count_the_agents_answers_to_the_customer():
    kinds = ["customer", "agent", "agent", "customer", "note", "customer", "bot", "agent", "customer"]

    assert back_and_forths(kinds) == 2
    assert back_and_forths(["agent", "agent"]) == 0


def test_the_customers_sentiment_is_vaders_compound_score():
    assert customer_sentiment(["I am furious: charged twice and nobody answers. Terrible!"]) <= -0.5
    assert customer_sentiment(["Thanks so much, that was wonderful help!"]) >= 0.5
    assert customer_sentiment(["How do I export my invoices?"]) == 0
    assert customer_sentiment([]) is None
    assert customer_sentiment(["  ", "\n"]) is None


def test_the_intercom_sync_stores_sentiment_back_and_forths_and_reopens(helpdesk, intercom_client):
    angry = fake.reviewable_conversation("5000", updated_at=BASE, admin_id="101", team_id="700", customer_body=ANGRY)
    angry["statistics"] = statistics(count_reopens=2)
    helpdesk.put(angry)
    calm = fake.reviewable_conversation("5001", updated_at=BASE + 60, admin_id="101", team_id="700", replies=1)
    helpdesk.put(calm)

    run = sync(intercom_client)

    stored = {c.external_id: c for c in Conversation.objects.all()}
    assert run.status == SyncRun.Status.SUCCEEDED
    assert stored["5000"].customer_sentiment <= -0.5
    # The customer opened, then each of three answers was followed by the customer again.
    assert (stored["5000"].back_and_forths, stored["5000"].reopens) == (3, 2)
    assert stored["5001"].customer_sentiment > -0.5
    assert (stored["5001"].back_and_forths, stored["5001"].reopens) == (1, None)


def test_a_reopen_count_that_is_not_a_count_is_left_out_with_a_warning(helpdesk, intercom_client):
    odd = fake.reviewable_conversation("5000", updated_at=BASE, admin_id="101", team_id="700")
    odd["statistics"] = statistics(count_reopens="two")
    helpdesk.put(odd)

    run = sync(intercom_client)

    stored = Conversation.objects.get(external_id="5000")
    assert (run.kept, run.errors, stored.reopens) == (1, 0, None)
    assert list(run.problems.filter(skipped=False).values_list("message", flat=True)) == [
        "Its 'count_reopens' was left out: text ('two') is not a count."
    ]


def test_a_later_sync_measures_the_conversation_again(helpdesk, intercom_client):
    helpdesk.put(fake.reviewable_conversation("5000", updated_at=BASE, admin_id="101", team_id="700"))
    sync(intercom_client)
    calm = Conversation.objects.get(external_id="5000").customer_sentiment
    angry = fake.reviewable_conversation("5000", updated_at=BASE + 600, admin_id="101", team_id="700", replies=5)
    angry["source"]["body"] = ANGRY
    angry["statistics"] = statistics(count_reopens=1)
    helpdesk.put(angry)

    sync(intercom_client)

    stored = Conversation.objects.get(external_id="5000")
    assert stored.customer_sentiment < 0 < calm
    assert (stored.back_and_forths, stored.reopens) == (5, 1)


def test_an_import_file_gives_reopens_and_refuses_a_negative_one_with_a_warning():
    def item(external_id, reopens):
        return {
            "id": external_id,
            "created_at": "2026-11-18T09:00:00Z",
            "updated_at": "2026-11-18T10:00:00Z",
            "closed_at": "2026-11-18T10:00:00Z",
            "reopens": reopens,
            "messages": [
                {"author": "customer", "created_at": "2026-11-18T09:00:00Z", "body": "Where is my refund?"},
            ],
        }

    run = conversations_sync(source="file", helpdesk=FileHelpdesk([{"conversations": [item("a", 3), item("b", -1)]}]))

    assert dict(Conversation.objects.values_list("external_id", "reopens")) == {"a": 3, "b": None}
    assert list(run.problems.values_list("external_id", "message")) == [
        ("b", "Its 'reopens' was left out: a number (-1) is not a count.")
    ]


def test_recent_conversations_stored_before_are_measured_by_the_upgrade(transactional_db):
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connection)
    executor.migrate([("conversations", "0009_conversation_newest_closed")])
    apps = executor.loader.project_state([("conversations", "0009_conversation_newest_closed")]).apps
    try:
        when = datetime(2026, 11, 18, 9, 0, tzinfo=UTC)
        old = apps.get_model("conversations", "Conversation").objects.create(
            source="file", external_id="old-1", created_at=when, updated_at=when, closed_at=when
        )
        Message = apps.get_model("conversations", "Message")
        for number, (kind, text) in enumerate(
            [("customer", "Charged twice again. Terrible, I am furious!"), ("agent", "Refunded."), ("customer", "No.")]
        ):
            Message.objects.create(
                conversation=old, external_id=str(number), author_kind=kind, created_at=when, body_text=text
            )
    finally:
        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes())

    stored = Conversation.objects.get(external_id="old-1")
    assert stored.customer_sentiment <= -0.5
    assert stored.back_and_forths == 1
