from django.conf import settings
from django.db import connection
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from kombu import Connection


def _database_ok() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        return True
    except Exception:
        return False


def _broker_ok() -> bool:
    try:
        with Connection(settings.CELERY_BROKER_URL, connect_timeout=2) as broker:
            broker.ensure_connection(max_retries=1, timeout=2)
        return True
    except Exception:
        return False


@never_cache
def healthz(request):
    """For load balancers: is the database reachable, is the broker? Names no hosts or secrets.

    Only a database outage makes it 503: pages keep working while the broker is away (syncs
    and emails wait), and taking every web server out of rotation for that would be worse.
    """
    checks = {"database": _database_ok(), "broker": _broker_ok()}
    return JsonResponse(
        {name: "ok" if ok else "unreachable" for name, ok in checks.items()},
        status=200 if checks["database"] else 503,
    )
