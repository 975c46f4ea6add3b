"""CSV exports streamed row by row, so a year of data never sits in memory."""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator

from django.db.models import Count

from .models import AgentWeek, Assignment

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


class _Echo:
    def write(self, value: str) -> str:
        return value


def _csv_lines(header: list[str], rows: Iterable[list]) -> Iterator[str]:
    writer = csv.writer(_Echo())
    yield BOM + writer.writerow(header)
    for row in rows:
        yield writer.writerow(row)


def review_rows(reviews, *, link_for) -> Iterator[str]:
    rows = (
        [
            review.assignment.week.label,
            review.created_at.isoformat(timespec="seconds"),
            str(review.conversation),
            link_for(review.conversation),
            review.reviewer.name,
            review.reviewee.name,
            review.get_quality_display(),
            review.get_tone_display(),
            "yes" if review.followed_process else "no",
            review.quality_note,
            review.tone_note,
            review.process_note,
        ]
        for review in reviews.select_related("assignment__week", "conversation", "reviewer", "reviewee")
        .order_by("assignment__week__starts_at", "created_at", "id")
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
            quota.agent.name,
            quota.agent.email,
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
