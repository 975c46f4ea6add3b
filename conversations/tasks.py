import logging

from celery import shared_task
from django.conf import settings

from . import services

logger = logging.getLogger(__name__)


# The sync holds its own lock and resumes from its cursor, so a late ack that runs it
# twice (acks_late after a worker dies) costs one skipped run, never a duplicate.
@shared_task(acks_late=True, soft_time_limit=50 * 60, time_limit=55 * 60, ignore_result=True)
def sync_conversations(source: str | None = None, full: bool = False) -> int | None:
    source = source or settings.HELPDESK
    if source == "file" and not settings.HELPDESK_IMPORT_PATH:
        # File imports are run by hand unless a drop folder is configured.
        logger.info("HELPDESK=file with no HELPDESK_IMPORT_PATH: nothing to sync periodically.")
        return None
    return services.conversations_sync(source=source, full=full).pk
