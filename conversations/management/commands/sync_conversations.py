from datetime import UTC, datetime
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from conversations.models import Source, SyncRun
from conversations.services import conversations_sync


def run_summary(run: SyncRun) -> str:
    excluded = ", ".join(f"{reason} {count}" for reason, count in sorted(run.excluded_counts.items()))
    return (
        f"{run.get_status_display()}: fetched {run.fetched}, created {run.created}, "
        f"updated {run.updated}, unchanged {run.unchanged}, kept {run.kept}, "
        f"excluded {run.excluded}{f' ({excluded})' if excluded else ''}, errors {run.errors}"
    )


class Command(BaseCommand):
    help = "Pull new and changed conversations from the configured helpdesk (the same code as the periodic task)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--source", choices=Source.values, default=None, help="Defaults to HELPDESK.")
        parser.add_argument("--since", help="Fetch conversations updated on or after this date (YYYY-MM-DD).")
        parser.add_argument("--full", action="store_true", help="Fetch and re-store every conversation.")

    def handle(
        self, *args: Any, source: str | None = None, since: str | None = None, full: bool = False, **options: Any
    ) -> None:
        since_at = None
        if since:
            try:
                since_at = datetime.fromisoformat(since).replace(tzinfo=UTC)
            except ValueError as exc:
                raise CommandError(f"--since must be a date like 2026-11-01, not {since!r}.") from exc
        run = conversations_sync(source=source or settings.HELPDESK, since=since_at, full=full)
        self.stdout.write(run_summary(run))
        if run.error_text:
            self.stderr.write(run.error_text)
        if run.status == SyncRun.Status.FAILED:
            raise CommandError("The sync failed; see the message above.")
