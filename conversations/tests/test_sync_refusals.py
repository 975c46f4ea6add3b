"""What the database refuses costs only the record it refused, and the sync page says why.

SQLite accepts most of what PostgreSQL refuses (over-long text, say), so these tests make
SQLite refuse chosen rows with a trigger, in PostgreSQL's words where it matters.
"""

from datetime import UTC, datetime

import pytest
import time_machine
from django.db import connection

from conversations.models import Agent, Conversation, Message, SyncRun, Team
from conversations.services import conversations_sync
from conversations.tests import fake_intercom as fake

pytestmark = pytest.mark.django_db

BASE = int(datetime(2026, 11, 20, 9, 0, tzinfo=UTC).timestamp())


@pytest.fixture(autouse=True)
def morning_before_the_conversations():
    with time_machine.travel(datetime(2026, 11, 20, 8, 0, tzinfo=UTC), tick=True):
        yield


@pytest.fixture
def database_refuses():
    """`database_refuses("conversations_team", "NEW.external_id = '701'", "why")`: such rows are refused."""
    if connection.vendor != "sqlite":
        pytest.skip("refuses rows with SQLite's RAISE(); PostgreSQL refuses them in its own words")
    count = 0

    def arrange(table: str, condition: str, message: str, *, on: str = "INSERT") -> None:
        nonlocal count
        count += 1
        quoted = message.replace("'", "''")
        with connection.cursor() as cursor:
            cursor.execute(
                f"CREATE TRIGGER refuse_{count} BEFORE {on} ON {table} "
                f"WHEN {condition} BEGIN SELECT RAISE(ABORT, '{quoted}'); END"
            )

    yield arrange
    with connection.cursor() as cursor:
        for number in range(1, count + 1):
            cursor.execute(f"DROP TRIGGER IF EXISTS refuse_{number}")


@pytest.fixture
def helpdesk(fake_intercom):
    fake_intercom.teams = [fake.team("700", "Billing", admin_ids=["101"]), fake.team("701", "Tier 2")]
    fake_intercom.admins = [
        fake.admin("101", "Maya Patel", "maya@ledgerly.example", team_ids=[700]),
        fake.admin("102", "John Smith", "john@ledgerly.example", team_ids=[701]),
    ]
    for index, admin_id in enumerate(("101", "101", "102")):
        fake_intercom.put(
            fake.reviewable_conversation(
                str(5000 + index), updated_at=BASE + index * 60, admin_id=admin_id, team_id="700"
            )
        )
    return fake_intercom


def sync(intercom_client):
    return conversations_sync(source="intercom", helpdesk=intercom_client(page_size=150))


def skipped(run):
    return {problem.external_id: problem.message for problem in run.problems.filter(skipped=True)}


def test_a_refusal_the_sync_page_has_no_words_for_is_quoted_by_its_first_line(
    helpdesk, intercom_client, database_refuses
):
    first_line = 'new row violates check constraint "' + "c" * 250 + '"'
    database_refuses("conversations_conversation", "NEW.external_id = '5001'", f"{first_line}\nDETAIL: row (5001)")
    helpdesk.conversations["5001"]["title"] = "Refund " * 50

    run = sync(intercom_client)

    assert (run.status, run.created, run.errors) == (SyncRun.Status.SUCCEEDED, 2, 1)
    assert skipped(run) == {
        "5001": f"Conversation skipped: the database refused it ({first_line[:200]}). "
        "The version stored before, if any, is kept."
    }
    # The lead can tell which conversation it was by the start of its subject.
    assert run.problems.get().payload_excerpt == ("Refund " * 50)[:200]
    assert set(Conversation.objects.values_list("external_id", flat=True)) == {"5000", "5002"}


def test_a_refusal_without_words_is_named_by_its_kind(helpdesk, intercom_client, database_refuses):
    database_refuses("conversations_conversation", "NEW.external_id = '5001'", "")

    run = sync(intercom_client)

    assert skipped(run) == {
        "5001": "Conversation skipped: the database refused it (IntegrityError). "
        "The version stored before, if any, is kept."
    }


def test_postgresqls_words_for_two_messages_with_one_id_read_as_the_sync_pages(
    helpdesk, intercom_client, database_refuses
):
    helpdesk.conversations["5001"]["conversation_parts"]["conversation_parts"][0]["id"] = "repeated"
    database_refuses(
        "conversations_message",
        "NEW.external_id = 'repeated'",
        'duplicate key value violates unique constraint "message_unique_per_conversation"\n'
        "DETAIL:  Key (conversation_id, external_id)=(2, repeated) already exists.",
    )

    run = sync(intercom_client)

    assert skipped(run) == {
        "5001": "Conversation skipped: two of its messages have the same id, so the helpdesk's answer "
        "cannot be stored as it is. The version stored before, if any, is kept."
    }
    assert not Message.objects.filter(external_id="repeated").exists()


def test_a_team_the_database_refuses_is_reported_and_the_rest_of_the_sync_goes_on(
    helpdesk, intercom_client, database_refuses
):
    database_refuses("conversations_team", "NEW.external_id = '701'", "value too long for type character varying")

    run = sync(intercom_client)

    assert (run.status, run.created, run.errors) == (SyncRun.Status.SUCCEEDED, 3, 1)
    problem = run.problems.get(external_id="701")
    assert (problem.message, problem.payload_excerpt) == (
        "Team skipped: the database refused it (value too long for type character varying).",
        "Tier 2",
    )
    assert list(Team.objects.values_list("name", flat=True)) == ["Billing"]
    assert Agent.objects.get(external_id="102").team is None


def test_a_teammate_the_database_refuses_keeps_what_was_stored_and_the_others_are_stored(
    helpdesk, intercom_client, database_refuses
):
    sync(intercom_client)
    maya = Agent.objects.get(external_id="101")
    helpdesk.admins = [
        fake.admin("101", "Maya Renamed", "maya@ledgerly.example", team_ids=[700]),
        fake.admin("102", "John Smith", "john@ledgerly.example", team_ids=[701]),
        fake.admin("103", "Lee New", "lee@ledgerly.example", team_ids=[701]),
        fake.admin("104", "Refused New", "refused@ledgerly.example"),
    ]
    helpdesk.put(fake.reviewable_conversation("5003", updated_at=BASE + 600, admin_id="101"))
    helpdesk.put(fake.reviewable_conversation("5004", updated_at=BASE + 660, admin_id="104"))
    database_refuses("conversations_agent", "NEW.name = 'Maya Renamed'", "refused update", on="UPDATE")
    database_refuses("conversations_agent", "NEW.name = 'Refused New'", "refused insert")

    run = sync(intercom_client)

    assert run.status == SyncRun.Status.SUCCEEDED
    assert {problem.external_id: (problem.message, problem.payload_excerpt) for problem in run.problems.all()} == {
        "101": ("Teammate skipped: the database refused it (refused update).", "Maya Renamed"),
        "104": ("Teammate skipped: the database refused it (refused insert).", "Refused New"),
    }
    # Conversations link to the teammate as stored before; one never stored is no one's.
    assert Conversation.objects.get(external_id="5003").assignee == maya
    assert Agent.objects.get(pk=maya.pk).name == "Maya Patel"
    assert Conversation.objects.get(external_id="5004").assignee is None
    assert Agent.objects.get(external_id="103").name == "Lee New"


def test_a_refusal_on_the_page_leaves_a_reviewed_conversation_as_it_was_reviewed(
    helpdesk, intercom_client, database_refuses
):
    from datetime import timedelta

    from reviews.models import Assignment, ReviewWeek

    sync(intercom_client)
    reviewed = Conversation.objects.get(external_id="5000")
    start = datetime(2026, 11, 23, tzinfo=UTC)
    week = ReviewWeek.objects.create(
        team=reviewed.team, label="2026-W48", starts_at=start, ends_at=start + timedelta(7), seed=1
    )
    Assignment.objects.create(
        week=week, reviewer=Agent.objects.get(external_id="102"), reviewee=reviewed.assignee, conversation=reviewed
    )
    was_reviewed = set(reviewed.messages.values_list("external_id", "body_text"))
    # The helpdesk edits a reply of the reviewed conversation, adds one, and changes another conversation.
    newer = fake.reviewable_conversation("5000", updated_at=BASE + 600, admin_id="101", team_id="700", replies=4)
    newer["conversation_parts"]["conversation_parts"][0]["body"] = "<p>Edited after the review.</p>"
    helpdesk.put(newer)
    helpdesk.put(fake.reviewable_conversation("5001", updated_at=BASE + 660, admin_id="101", team_id="700"))
    database_refuses("conversations_conversation", "NEW.external_id = '5001'", "refused")

    run = sync(intercom_client)

    assert (run.updated, run.errors) == (1, 1)
    stored = set(reviewed.messages.values_list("external_id", "body_text"))
    assert was_reviewed < stored
    assert set(reviewed.messages.filter(added_after_review=True).values_list("external_id", flat=True)) == {"7", "8"}
