"""The periodic sync through a real Celery worker on Redis, and its beat schedule."""

from datetime import UTC, datetime

import pytest
from django.conf import settings

from carousel.celery import app
from conftest import wait_for
from conversations.models import Conversation, SyncRun
from conversations.tasks import sync_conversations
from conversations.tests import fake_intercom as fake


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
