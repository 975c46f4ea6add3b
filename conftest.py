import pytest

from conversations.tests.fake_intercom import TOKEN, FakeIntercom
from reviews.tests.factories import build, monday, team_of_five  # noqa: F401  (shared fixtures)


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    # Real hashing costs ~0.2 s a user; tests make hundreds.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def fake_intercom():
    with FakeIntercom() as server:
        yield server


@pytest.fixture
def intercom_client(fake_intercom):
    """A client pointed at the local fake, with short timeouts and backoff."""
    from conversations.helpdesks.intercom import IntercomClient

    def make(**options):
        access_token = options.pop("access_token", TOKEN)
        settings = {"timeout": 0.5, "max_retries": 3, "backoff_base": 0.01, "page_size": 2, "concurrency": 2}
        settings.update(options)
        return IntercomClient(access_token=access_token, api_base=fake_intercom.url, **settings)

    return make


@pytest.fixture
def billing(db):
    from conversations.models import Team

    return Team.objects.create(name="Billing", source="file", external_id="billing")


@pytest.fixture
def product(db):
    from conversations.models import Team

    return Team.objects.create(name="Product", source="file", external_id="product")


def _user(username, **extra):
    from django.contrib.auth import get_user_model

    return get_user_model().objects.create_user(username, email=username, password="pw-for-tests", **extra)


@pytest.fixture
def agent_user(billing):
    """Maya, an agent in Billing."""
    from conversations.models import Agent

    user = _user("maya@ledgerly.example", first_name="Maya", last_name="Patel")
    Agent.objects.create(
        source="file", external_id="a-maya", name="Maya Patel", email=user.email, team=billing, user=user
    )
    return user


@pytest.fixture
def billing_lead(billing):
    user = _user("lead@ledgerly.example", first_name="Alex", last_name="Rivera")
    billing.leads.add(user)
    return user


@pytest.fixture
def product_lead(product):
    user = _user("plead@ledgerly.example", first_name="Pat", last_name="Lead")
    product.leads.add(user)
    return user


@pytest.fixture
def staff_user(db):
    return _user("admin@ledgerly.example", is_staff=True)


@pytest.fixture
def celery_worker_process(transactional_db):
    """Starts `celery worker` as its own process on Redis, against this test's database.

    Only on PostgreSQL + Redis (the second pass of scripts/test): the worker is another
    process, so it cannot see SQLite's in-memory test database.
    """
    import os
    import subprocess
    import sys
    import uuid
    from pathlib import Path

    from django.conf import settings
    from django.db import connection

    if not settings.REDIS_URL or connection.vendor != "postgresql":
        pytest.skip("needs REDIS_URL and PostgreSQL (the worker is another process): the second pass of scripts/test")
    started = []

    def start(**extra_env) -> str:
        db = connection.settings_dict
        queue = f"test-{uuid.uuid4().hex[:8]}"
        env = {
            **os.environ,
            "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
            "REDIS_URL": settings.REDIS_URL,
            "DEBUG": "true",
            **extra_env,
        }
        command = [
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
        ]
        started.append(
            subprocess.Popen(
                command, cwd=Path(__file__).parent, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
            )
        )
        return queue

    yield start
    for worker in started:
        worker.terminate()
        output = worker.communicate(timeout=30)[0]
        if output.strip():
            print("celery worker output:\n" + output)


def wait_for(condition, seconds: float = 60.0) -> bool:
    import time

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.2)
    return False
