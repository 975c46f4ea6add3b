"""manage.py sync_conversations: the helpdesk HELPDESK names, over real HTTP to the local fakes."""

from datetime import UTC, datetime
from io import StringIO

import pytest
import time_machine
from django.core.management import CommandError, call_command

from conversations.models import Conversation, SyncCursor, SyncRun
from conversations.tests import fake_intercom as fake
from conversations.tests import fake_zendesk as zendesk

pytestmark = pytest.mark.django_db

BASE = int(datetime(2026, 11, 20, 9, 0, tzinfo=UTC).timestamp())
NOV_10 = int(datetime(2026, 11, 10, 9, 0, tzinfo=UTC).timestamp())


@pytest.fixture(autouse=True)
def morning_before_the_conversations():
    """Syncs run at 08:00, so conversations updated from 09:00 are newer than any cursor."""
    with time_machine.travel(datetime(2026, 11, 20, 8, 0, tzinfo=UTC), tick=True):
        yield


@pytest.fixture
def intercom(fake_intercom, settings):
    settings.HELPDESK = "intercom"
    settings.INTERCOM_API_BASE = fake_intercom.url
    settings.INTERCOM_ACCESS_TOKEN = fake.TOKEN
    fake_intercom.admins = [fake.admin("101", "Maya Patel", "maya@ledgerly.example")]
    for index in range(3):
        fake_intercom.put(fake.reviewable_conversation(f"c{index}", updated_at=BASE + index * 60, admin_id="101"))
    return fake_intercom


def sync(*arguments):
    """Runs the command; returns what it printed on stdout and on stderr."""
    out, err = StringIO(), StringIO()
    call_command("sync_conversations", *arguments, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def sync_fails(*arguments):
    err = StringIO()
    with pytest.raises(CommandError, match="The sync failed; see the message above."):
        call_command("sync_conversations", *arguments, stdout=StringIO(), stderr=err)
    return err.getvalue()


def test_it_syncs_the_helpdesk_HELPDESK_names_and_says_what_it_stored(intercom):
    out, err = sync()

    assert out == "Succeeded: fetched 3, created 3, updated 0, unchanged 0, kept 3, excluded 0, errors 0\n"
    assert err == ""
    run = SyncRun.objects.get()
    assert (run.source, run.status, run.error_text) == ("intercom", SyncRun.Status.SUCCEEDED, "")
    assert set(Conversation.objects.values_list("source", "external_id")) == {
        ("intercom", "c0"),
        ("intercom", "c1"),
        ("intercom", "c2"),
    }


def test_the_next_run_reads_only_what_changed_and_full_stores_everything_again(intercom):
    sync()

    assert sync()[0] == "Succeeded: fetched 0, created 0, updated 0, unchanged 3, kept 0, excluded 0, errors 0\n"
    assert sync("--full")[0] == (
        "Succeeded: fetched 3, created 0, updated 3, unchanged 0, kept 3, excluded 0, errors 0\n"
    )


def test_since_reads_only_conversations_updated_on_or_after_that_day(intercom):
    intercom.put(fake.reviewable_conversation("old", updated_at=NOV_10, admin_id="101"))

    sync("--since", "2026-11-15")

    assert not Conversation.objects.filter(external_id="old").exists()
    assert Conversation.objects.count() == 3
    assert intercom.search_bodies[0]["query"]["value"] == int(datetime(2026, 11, 15, tzinfo=UTC).timestamp())


def test_full_stores_every_conversation_again_even_with_since(intercom):
    intercom.put(fake.reviewable_conversation("old", updated_at=NOV_10, admin_id="101"))

    sync("--full", "--since", "2026-11-15")

    assert Conversation.objects.filter(external_id="old").exists()
    assert Conversation.objects.count() == 4


def test_since_that_is_not_a_date_stops_before_anything_runs(intercom):
    with pytest.raises(CommandError, match="--since must be a date like 2026-11-01, not 'last week'."):
        call_command("sync_conversations", "--since", "last week")

    assert not SyncRun.objects.exists()
    assert intercom.log == []


def test_source_picks_another_helpdesk_than_HELPDESK(intercom, fake_zendesk, settings):
    settings.ZENDESK_SUBDOMAIN, settings.ZENDESK_API_BASE = zendesk.SUBDOMAIN, fake_zendesk.url
    settings.ZENDESK_EMAIL, settings.ZENDESK_API_TOKEN = zendesk.EMAIL, zendesk.TOKEN
    fake_zendesk.put(*zendesk.reviewable_ticket(77, updated_at=BASE, assignee_id=1))

    out, _ = sync("--source", "zendesk")

    assert out.startswith("Succeeded: fetched 1, created 1,")
    assert SyncRun.objects.get().source == "zendesk"
    assert list(Conversation.objects.values_list("source", "external_id")) == [("zendesk", "77")]
    assert intercom.log == []


def test_a_rejected_token_fails_the_command_with_the_helpdesks_words(intercom, settings, caplog):
    settings.INTERCOM_ACCESS_TOKEN = "revoked-token"

    err = sync_fails()

    assert "The Intercom token was rejected (HTTP 401)" in err
    assert [record.getMessage() for record in caplog.records if record.name == "conversations.services"] == [
        f"Sync of intercom failed: {err.strip()}"
    ]
    run = SyncRun.objects.get()
    assert run.status == SyncRun.Status.FAILED
    assert run.error_text.startswith("The Intercom token was rejected (HTTP 401).")
    assert Conversation.objects.count() == 0


def test_a_helpdesk_that_is_not_configured_fails_the_run_and_says_what_to_set(intercom, settings):
    settings.INTERCOM_ACCESS_TOKEN = ""

    err = sync_fails()

    message = "INTERCOM_ACCESS_TOKEN is not set, so Carousel cannot read Intercom."
    assert err == message + "\n"
    assert SyncRun.objects.get().error_text == message
    assert intercom.log == []


def test_while_another_sync_runs_it_does_nothing_and_says_so_without_failing(intercom):
    SyncCursor.lock_acquire(source="intercom", owner="the-other-worker")

    out, err = sync()

    assert out.startswith("Skipped (another sync was running): fetched 0, created 0,")
    assert err == "Another sync of this helpdesk is still running; this one did nothing.\n"
    assert SyncRun.objects.get().status == SyncRun.Status.SKIPPED
    assert intercom.log == []


def test_an_error_nobody_expected_fails_the_command_and_logs_its_traceback(intercom, transport_raises, caplog):
    transport_raises("/conversations/c1", RuntimeError("a bug below the connector"))

    err = sync_fails()

    assert err == (
        "Unexpected error (RuntimeError: a bug below the connector). The next run resumes from the last stored page.\n"
    )
    # Whoever runs the workers gets the traceback.
    logged = [record for record in caplog.records if record.getMessage() == "Sync of intercom failed unexpectedly"]
    assert logged and logged[0].exc_info[0] is RuntimeError
    assert SyncRun.objects.get().status == SyncRun.Status.FAILED
