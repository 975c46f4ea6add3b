"""Production behaviour: health checks, sign-in throttling, security headers, logs, the audit trail."""

import json
import logging

import pytest
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.urls import reverse

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def empty_cache():
    cache.clear()
    yield
    cache.clear()


def test_healthz_reports_database_and_broker_without_secrets(client, settings, tmp_path):
    settings.CELERY_BROKER_URL = f"sqla+sqlite:///{tmp_path / 'broker.sqlite3'}"

    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {"database": "ok", "broker": "ok"}


def test_healthz_reports_a_broker_outage_but_keeps_the_web_in_rotation(client, settings):
    settings.CELERY_BROKER_URL = "redis://:s3cret-password@127.0.0.1:1/0"

    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {"database": "ok", "broker": "unreachable"}
    assert b"s3cret" not in response.content and b"127.0.0.1" not in response.content


def test_sign_in_pauses_after_repeated_wrong_passwords(client, settings):
    settings.LOGIN_ATTEMPTS_ALLOWED = 3
    get_user_model().objects.create_user("ana@ledgerly.example", email="ana@ledgerly.example", password="right-one")
    for _ in range(3):
        client.post(reverse("login"), {"username": "ana@ledgerly.example", "password": "wrong"})

    # Even the right password is refused until the pause is over.
    response = client.post(reverse("login"), {"username": "ana@ledgerly.example", "password": "right-one"})

    assert response.status_code == 200
    assert "Too many sign-in attempts. Wait 15 minutes, or reset your password." in response.content.decode()
    cache.clear()
    assert (
        client.post(reverse("login"), {"username": "ana@ledgerly.example", "password": "right-one"}).status_code == 302
    )


def test_one_address_guessing_many_emails_is_paused_too(client, settings):
    settings.LOGIN_ATTEMPTS_ALLOWED = 2
    for number in range(8):
        client.post(reverse("login"), {"username": f"user{number}@ledgerly.example", "password": "guess"})

    response = client.post(reverse("login"), {"username": "someone@ledgerly.example", "password": "guess"})

    assert "Too many sign-in attempts" in response.content.decode()


def test_healthz_is_503_when_the_database_is_down(client, monkeypatch):
    from carousel import views

    monkeypatch.setattr(views, "_database_ok", lambda: False)

    response = client.get("/healthz")

    assert response.status_code == 503
    assert response.json()["database"] == "unreachable"


def test_sign_in_still_works_when_the_cache_is_down(client, monkeypatch):
    from carousel import forms

    class UnreachableRedis:
        def __getattr__(self, name):
            def fail(*args, **kwargs):
                raise ConnectionError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

            return fail

    monkeypatch.setattr(forms, "cache", UnreachableRedis())
    get_user_model().objects.create_user("ana@ledgerly.example", email="ana@ledgerly.example", password="right-one")

    wrong = client.post(reverse("login"), {"username": "ana@ledgerly.example", "password": "wrong"})
    right = client.post(reverse("login"), {"username": "ana@ledgerly.example", "password": "right-one"})

    assert wrong.status_code == 200 and "Please enter a correct" in wrong.content.decode()
    assert right.status_code == 302


def test_behind_the_proxy_each_visitor_is_counted_by_their_own_address(client, settings):
    settings.BEHIND_TLS_PROXY = True
    settings.LOGIN_ATTEMPTS_ALLOWED = 1  # four wrong passwords per address
    for number in range(4):
        client.post(
            reverse("login"),
            {"username": f"u{number}@ledgerly.example", "password": "guess"},
            HTTP_X_FORWARDED_FOR="198.51.100.7",
        )

    blocked = client.post(
        reverse("login"), {"username": "x@ledgerly.example", "password": "guess"}, HTTP_X_FORWARDED_FOR="198.51.100.7"
    )
    colleague = client.post(
        reverse("login"), {"username": "y@ledgerly.example", "password": "guess"}, HTTP_X_FORWARDED_FOR="203.0.113.9"
    )

    assert "Too many sign-in attempts" in blocked.content.decode()
    assert "Too many sign-in attempts" not in colleague.content.decode()


def test_pages_carry_a_content_security_policy_and_no_sniffing(client):
    response = client.get(reverse("login"))

    policy = response["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "object-src 'none'" in policy and "frame-ancestors 'none'" in policy
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["X-Frame-Options"] == "DENY"


def test_the_json_log_format_is_one_object_a_line():
    from carousel.logging import JSONFormatter

    record = logging.LogRecord(
        "conversations.services", logging.WARNING, __file__, 1, "Sync of %s failed", ("intercom",), None
    )
    record.run_id = 42

    entry = json.loads(JSONFormatter().format(record))

    assert entry["message"] == "Sync of intercom failed"
    assert (entry["level"], entry["logger"], entry["run_id"]) == ("WARNING", "conversations.services", 42)
