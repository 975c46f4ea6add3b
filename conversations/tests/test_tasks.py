"""The periodic sync through a real Celery worker on Redis, and its beat schedule."""

import os
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from carousel.celery import app
from conversations.models import Conversation, SyncRun
from conversations.tasks import sync_conversations
from conversations.tests import fake_intercom as fake

ROOT = Path(__file__).resolve().parents[2]


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
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_on_redis_runs_the_sync(fake_intercom):
    if not settings.REDIS_URL or connection.vendor != "postgresql":
        pytest.skip("needs REDIS_URL and PostgreSQL (the worker is another process): the second pass of scripts/test")
    fake_intercom.admins = [fake.admin("101", "Maya Patel", "maya@ledgerly.example")]
    updated_at = int(datetime.now(tz=UTC).timestamp())
    for index in range(3):
        fake_intercom.put(fake.reviewable_conversation(f"w{index}", updated_at=updated_at, admin_id="101"))
    db = connection.settings_dict
    queue = f"test-{uuid.uuid4().hex[:8]}"
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        "REDIS_URL": settings.REDIS_URL,
        "HELPDESK": "intercom",
        "INTERCOM_API_BASE": fake_intercom.url,
        "INTERCOM_ACCESS_TOKEN": fake.TOKEN,
        "DEBUG": "true",
    }
    worker = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "carousel",
            "worker",
            "--pool",
            "solo",
            "-Q",
            queue,
            "--loglevel",
            "WARNING",
            "--without-heartbeat",
            "--without-gossip",
            "--without-mingle",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        sync_conversations.apply_async(queue=queue)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not SyncRun.objects.exclude(status="running").exists():
            time.sleep(0.2)
    finally:
        worker.terminate()
        output = worker.communicate(timeout=30)[0]

    run = SyncRun.objects.get()
    assert run.status == SyncRun.Status.SUCCEEDED, output
    assert run.created == 3
    assert set(Conversation.objects.values_list("external_id", flat=True)) == {"w0", "w1", "w2"}
