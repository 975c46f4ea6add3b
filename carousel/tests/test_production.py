"""Production behaviour: health checks, security headers, logs, the audit trail, deploy checks."""

import json
import logging

import pytest
from django.urls import reverse

from carousel.checks import shared_cache_check

pytestmark = pytest.mark.django_db


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


def test_healthz_is_503_when_the_database_is_down(client, monkeypatch):
    from carousel import views

    monkeypatch.setattr(views, "_database_ok", lambda: False)

    response = client.get("/healthz")

    assert response.status_code == 503
    assert response.json()["database"] == "unreachable"


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


def test_check_deploy_refuses_a_cache_each_process_keeps_to_itself(settings):
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

    errors = shared_cache_check()

    assert [error.id for error in errors] == ["carousel.E001"]
    assert "Set REDIS_URL" in errors[0].hint


def test_check_deploy_accepts_the_shared_redis_cache(settings):
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": "redis://x"}}

    assert shared_cache_check() == []


def test_the_cache_check_runs_with_check_deploy():
    from django.core.checks import registry

    assert shared_cache_check in registry.registry.get_checks(include_deployment_checks=True)
    assert shared_cache_check not in registry.registry.get_checks(include_deployment_checks=False)
