"""CSV exports streamed row by row, so a year of data never sits in memory."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import timedelta
from itertools import islice

from django.db.models import Count
from django.utils.text import slugify

from conversations.models import Source

from .models import AgentWeek, Assignment, Level

BOM = "\ufeff"  # so spreadsheet programs read the file as UTF-8
REVIEW_COLUMNS = [
    "week",
    "reviewed_at",
    "conversation",
    "conversation_link",
    "reviewer",
    "reviewee",
    "quality",
    "tone",
    "followed_internal_processes",
    "quality_note",
    "tone_note",
    "process_note",
]
COMPLETION_COLUMNS = ["week", "agent", "email", "quota", "required", "completed", "shortfall", "away"]


ROWS_PER_CHUNK = 500  # rows sent at a time: one write per ~150 KB, not one per row


_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _text(value: str) -> str:
    """Free text from people and customers: a leading quote stops a spreadsheet from running
    `=HYPERLINK(...)` or the like as a formula (OWASP's advice for CSV injection)."""
    return f"'{value}" if value.startswith(_FORMULA_STARTS) else value


def export_filename(team, weeks: Sequence, kind: str) -> str:
    """A download name that is safe ASCII whatever the team is called: slug, kind, date range."""
    slug = slugify(team.name)[:60].strip("-") or f"team-{team.pk}"
    if not weeks:
        return f"{slug}-{kind}.csv"
    first, last = weeks[0].starts_at.date(), (weeks[-1].ends_at - timedelta(seconds=1)).date()
    return f"{slug}-{kind}-{first:%Y-%m-%d}-to-{last:%Y-%m-%d}.csv"


class _Echo:
    def write(self, value: str) -> str:
        return value


def _csv_lines(header: list[str], rows: Iterable[Sequence]) -> Iterator[str]:
    """The BOM and header, then the rows a chunk at a time (csv.writer on a buffer, in C)."""
    yield BOM + csv.writer(_Echo()).writerow(header)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    rows = iter(rows)
    while chunk := list(islice(rows, ROWS_PER_CHUNK)):
        writer.writerows(chunk)
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()


def review_rows(reviews, *, conversation_page: Callable[[int], str]) -> Iterator[str]:
    """One line per review; the conversation's link is its helpdesk URL, else
    ``conversation_page(conversation_id)``. Read as tuples, not model instances: a year of
    a big team is over 100,000 reviews, and this runs at close to the speed of the query."""
    levels = dict(Level.choices)
    sources = dict(Source.choices)
    rows = (
        (
            week,
            created_at.isoformat(timespec="seconds"),
            _text(subject or f"{sources.get(source, source)} #{external_id}"),  # str(conversation)
            _text(url or conversation_page(conversation_id)),
            _text(reviewer),
            _text(reviewee),
            levels.get(quality, quality),
            levels.get(tone, tone),
            "yes" if followed_process else "no",
            _text(quality_note),
            _text(tone_note),
            _text(process_note),
        )
        for (
            week,
            created_at,
            conversation_id,
            subject,
            source,
            external_id,
            url,
            reviewer,
            reviewee,
            quality,
            tone,
            followed_process,
            quality_note,
            tone_note,
            process_note,
        ) in reviews.order_by("assignment__week__starts_at", "created_at", "id")
        .values_list(
            "assignment__week__label",
            "created_at",
            "conversation_id",
            "conversation__subject",
            "conversation__source",
            "conversation__external_id",
            "conversation__url",
            "reviewer__name",
            "reviewee__name",
            "quality",
            "tone",
            "followed_process",
            "quality_note",
            "tone_note",
            "process_note",
        )
        .iterator(chunk_size=2000)
    )
    return _csv_lines(REVIEW_COLUMNS, rows)


def completion_rows(weeks) -> Iterator[str]:
    completed = {
        (row["week_id"], row["reviewer_id"]): row["total"]
        for row in Assignment.objects.filter(week__in=weeks, status=Assignment.Status.COMPLETED)
        .values("week_id", "reviewer_id")
        .annotate(total=Count("id"))
        .order_by()
    }
    rows = (
        [
            quota.week.label,
            _text(quota.agent.name),
            _text(quota.agent.email),
            quota.quota,
            quota.required,
            completed.get((quota.week_id, quota.agent_id), 0),
            quota.quota - quota.required,
            "yes" if quota.is_away else "no",
        ]
        for quota in AgentWeek.objects.filter(week__in=weeks)
        .select_related("week", "agent")
        .order_by("week__starts_at", "agent__name")
        .iterator(chunk_size=2000)
    )
    return _csv_lines(COMPLETION_COLUMNS, rows)
