"""The periodic sync task: its beat schedule, the task function itself, and a real Celery worker on Redis."""

from datetime import UTC, datetime

import pytest
from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings

from carousel.celery import app
from conftest import wait_for
from conversations.models import Conversation, SyncRun
from conversations.tasks import sync_conversations
from conversations.tests import fake_intercom as fake
from conversations.tests import fake_zendesk as zendesk
from conversations.tests.test_import_file import conversation, document, write

BASE = int(datetime(2026, 11, 20, 9, 0, tzinfo=UTC).timestamp())


def test_beat_runs_the_sync_every_fifteen_minutes_by_default():
    entry = settings.CELERY_BEAT_SCHEDULE["sync-conversations"]
    assert entry["schedule"] == 15 * 60
    assert entry["task"] == sync_conversations.name
    assert sync_conversations.name in app.tasks


@pytest.mark.django_db
def test_the_task_with_nothing_configured_for_files_does_nothing(settings):
    settings.HELPDESK, settings.HELPDESK_IMPORT_PATH = "file", ""

    assert sync_conversations.apply().get() is None
    assert SyncRun.objects.count() == 0


@pytest.mark.celery_worker
def test_a_real_worker_on_redis_runs_the_sync(celery_worker_process, fake_intercom):
    fake_intercom.admins = [fake.admin("101", "Maya Patel", "maya@ledgerly.example")]
    updated_at = int(datetime.now(tz=UTC).timestamp())
    for index in range(3):
        fake_intercom.put(fake.reviewable_conversation(f"w{index}", updated_at=updated_at, admin_id="101"))
    queue = celery_worker_process(
        HELPDESK="intercom", INTERCOM_API_BASE=fake_intercom.url, INTERCOM_ACCESS_TOKEN=fake.TOKEN
    )

    sync_conversations.apply_async(queue=queue)

    assert wait_for(lambda: SyncRun.objects.exclude(status="running").exists())
    run = SyncRun.objects.get()
    assert run.status == SyncRun.Status.SUCCEEDED, run.error_text
    assert run.created == 3
    assert set(Conversation.objects.values_list("external_id", flat=True)) == {"w0", "w1", "w2"}


@pytest.fixture
def zendesk_configured(fake_zendesk, settings):
    settings.HELPDESK, settings.ZENDESK_SUBDOMAIN, settings.ZENDESK_API_BASE = "zendesk", "ledgerly", fake_zendesk.url
    settings.ZENDESK_EMAIL, settings.ZENDESK_API_TOKEN = zendesk.EMAIL, zendesk.TOKEN
    for ticket_id in (71, 72):
        fake_zendesk.put(*zendesk.reviewable_ticket(ticket_id, updated_at=BASE + ticket_id, assignee_id=1))
    return fake_zendesk


@pytest.mark.django_db
def test_the_task_syncs_the_helpdesk_HELPDESK_names_and_returns_the_runs_id(zendesk_configured):
    run_id = sync_conversations()

    run = SyncRun.objects.get()
    assert run_id == run.pk
    assert (run.source, run.status, run.created) == ("zendesk", SyncRun.Status.SUCCEEDED, 2)
    assert set(Conversation.objects.values_list("external_id", flat=True)) == {"71", "72"}


@pytest.mark.django_db
def test_the_task_asked_for_a_full_sync_stores_every_conversation_again(zendesk_configured):
    sync_conversations()

    run = SyncRun.objects.get(pk=sync_conversations(full=True))

    assert (run.status, run.created, run.updated, run.unchanged) == (SyncRun.Status.SUCCEEDED, 0, 2, 0)


@pytest.mark.django_db
def test_the_task_imports_the_drop_folder_when_HELPDESK_is_file(tmp_path, settings):
    write(tmp_path, document(conversation("dropped")))
    settings.HELPDESK, settings.HELPDESK_IMPORT_PATH = "file", str(tmp_path)

    run = SyncRun.objects.get(pk=sync_conversations())

    assert (run.source, run.status, run.created) == ("file", SyncRun.Status.SUCCEEDED, 1)
    assert Conversation.objects.get().external_id == "dropped"


@pytest.mark.django_db
def test_the_time_limit_firing_mid_sync_fails_the_run_and_the_next_run_stores_everything(
    fake_intercom, settings, transport_raises
):
    settings.INTERCOM_API_BASE, settings.INTERCOM_ACCESS_TOKEN = fake_intercom.url, fake.TOKEN
    fake_intercom.admins = [fake.admin("101", "Maya Patel", "maya@ledgerly.example")]
    for index in range(3):
        fake_intercom.put(fake.reviewable_conversation(f"c{index}", updated_at=BASE, admin_id="101"))
    # Celery raises it in the task, wherever the task is: a sync spends its time waiting on the helpdesk.
    transport_raises("/conversations/c1", SoftTimeLimitExceeded())

    cut_off = SyncRun.objects.get(pk=sync_conversations("intercom"))

    assert cut_off.status == SyncRun.Status.FAILED
    assert cut_off.error_text == (
        "Unexpected error (SoftTimeLimitExceeded: SoftTimeLimitExceeded()). "
        "The next run resumes from the last stored page."
    )
    assert cut_off.finished_at is not None
    assert not Conversation.objects.exists()
    # The lock went with the run: the next one is not skipped, and finishes the work.
    resumed = SyncRun.objects.get(pk=sync_conversations("intercom"))
    assert (resumed.status, resumed.created) == (SyncRun.Status.SUCCEEDED, 3)
