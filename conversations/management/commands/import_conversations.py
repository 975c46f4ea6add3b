from datetime import datetime
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from conversations.helpdesks.errors import HelpdeskError
from conversations.helpdesks.files import FileHelpdesk
from conversations.models import Source, SyncRun
from conversations.services import conversations_sync

from .sync_conversations import run_summary


class Command(BaseCommand):
    help = "Import conversations from a JSON or CSV file (format: docs/import-format.md)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", help="A .json or .csv file, or a folder of them.")
        parser.add_argument(
            "--rebase-dates",
            action="store_true",
            help="Shift every time in the file so the newest message is now (demo data).",
        )
        parser.add_argument(
            "--rebase-to",
            type=datetime.fromisoformat,
            help="Like --rebase-dates, but the newest message lands at this ISO time (with offset).",
        )

    def handle(
        self,
        *args: Any,
        path: str,
        rebase_dates: bool = False,
        rebase_to: datetime | None = None,
        **options: Any,
    ) -> None:
        if rebase_to is not None and rebase_to.tzinfo is None:
            raise CommandError("--rebase-to needs a UTC offset, e.g. 2026-11-23T00:00+00:00.")
        if rebase_dates and rebase_to is None:
            rebase_to = timezone.now()
        try:
            helpdesk = FileHelpdesk.from_path(path, rebase_to=rebase_to)
        except HelpdeskError as exc:
            raise CommandError(str(exc)) from exc
        run = conversations_sync(source=Source.FILE, helpdesk=helpdesk)
        self.stdout.write(run_summary(run))
        for problem in run.problems.all():
            self.stderr.write(f"{problem.external_id or '(no id)'}: {problem.message}")
        if run.status != SyncRun.Status.SUCCEEDED:
            raise CommandError(run.error_text or "The import did not run.")
