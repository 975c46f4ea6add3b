"""CSV exports streamed row by row, so a year of data never sits in memory."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import timedelta
from itertools import groupby, islice
from operator import itemgetter

from django.db.models import BooleanField, Count, ExpressionWrapper, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django.utils.text import slugify

from conversations.models import Source

from .models import AgentWeek, Assignment, Criterion, CriterionLevel, CsatCause, Rating, ReviewComment, RootCause

BOM = "\ufeff"  # so spreadsheet programs read the file as UTF-8
# Before and after the columns of the scorecard's criteria, which depend on the reviews exported.
REVIEW_COLUMNS_BEFORE = [
    "team",
    "week",
    "review_id",
    "review_link",
    "reviewed_at",
    "conversation",
    "conversation_link",
    "csat",
    "tags",
    "reviewer",
    "reviewee",
    "scorecard_version",
]
REVIEW_COLUMNS_AFTER = [
    "quality_score",
    "low_csat",
    "start",
    "stop",
    "continue",
    "shared_with_team",
    "seen_by_reviewee",
    "replies",
]
COMPLETION_COLUMNS = [
    "team",
    "week",
    "agent",
    "email",
    "quota",
    "required",
    "assigned",
    "completed",
    "handed_back",
    "shortfall",
    "away",
]


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


@dataclass(frozen=True)
class CriterionColumns:
    key: str
    level: str  # the rating's column: 'quality', 'followed_internal_processes'
    has_causes: bool

    @property
    def names(self) -> list[str]:
        return [self.level, f"{self.key}_note", *([f"{self.key}_root_causes"] if self.has_causes else [])]


class _Ratings:
    """The ratings of the reviews exported, a chunk at a time, read as bare ids and mapped to
    names in Python: no join and no sort per chunk, for a year of a big team's ratings."""

    def __init__(self, reviews) -> None:
        """The criteria of the versions the reviews were made with, their levels and root
        causes: three queries."""
        criteria = Criterion.objects.filter(scorecard__in=reviews.order_by().values("scorecard_id")).order_by()
        # The newest version first: a criterion's column is named and placed as it is there.
        self.criteria = list(criteria.order_by("-scorecard__version", "position").values_list("pk", "key", "name"))
        self.keys = {pk: key for pk, key, _ in self.criteria}
        self.labels = {
            (criterion_id, value): label
            for criterion_id, value, label in CriterionLevel.objects.filter(criterion__in=criteria.values("pk"))
            .order_by()
            .values_list("criterion_id", "value", "label")
        }
        causes = RootCause.objects.filter(criterion__in=criteria.values("pk")).order_by()
        self.causes: dict[int, tuple[int, str]] = {}
        self.with_causes: set[int] = set()
        for pk, criterion_id, position, label in causes.values_list("pk", "criterion_id", "position", "label"):
            self.causes[pk] = (position, label)
            self.with_causes.add(criterion_id)

    def columns(self) -> list[CriterionColumns]:
        """A criterion's columns by its key, whichever versions hold it: the rating's named
        after the criterion, its note, and its root causes if any version has some."""
        columns: dict[str, CriterionColumns] = {}
        for pk, key, name in self.criteria:
            if key in columns:
                if pk in self.with_causes:
                    columns[key] = replace(columns[key], has_causes=True)
                continue
            level = slugify(name).replace("-", "_") or key
            taken = {column.level for column in columns.values()}
            columns[key] = CriterionColumns(key, level if level not in taken else key, pk in self.with_causes)
        return list(columns.values())

    def of_week(self, week_id: int) -> dict[tuple[int, str], tuple[str, str, str]]:
        """(review id, criterion key) -> (level's name, note, root causes) for the reviews of a
        week: two queries on the week's index, with no list of ids to send."""
        rows = (
            Rating.objects.filter(review__assignment__week_id=week_id)
            .order_by()
            .values_list("pk", "review_id", "criterion_id", "level", "note")
        )
        ticked: dict[int, list[tuple[int, str]]] = {}
        for rating_id, cause_id in (
            Rating.root_causes.through.objects.filter(rating__review__assignment__week_id=week_id)
            .order_by()
            .values_list("rating_id", "rootcause_id")
        ):
            ticked.setdefault(rating_id, []).append(self.causes[cause_id])
        return {
            (review_id, self.keys[criterion_id]): (
                "N/A" if level is None else self.labels[(criterion_id, level)],
                note,
                "; ".join(label for _, label in sorted(ticked[pk])) if pk in ticked else "",  # the checklist's order
            )
            for pk, review_id, criterion_id, level, note in rows
        }


def review_rows(
    reviews,
    *,
    conversation_page: Callable[[int], str],
    review_page: Callable[[int], str],
    tag: str = "",
) -> Iterator[str]:
    """One line per review; the conversation's link is its helpdesk URL, else
    ``conversation_page(conversation_id)``. Read as tuples, not model instances: a year of
    a big team is over 100,000 reviews, and this runs at close to the speed of the query; the
    ratings come a chunk of reviews at a time. `tag` keeps the reviews of conversations with
    that tag (any case)."""
    sources = dict(Source.choices)
    causes = dict(CsatCause.choices)
    wanted = tag.strip().casefold()
    read = _Ratings(reviews)
    columns = read.columns()
    replies = (
        ReviewComment.objects.filter(review=OuterRef("pk"))
        .order_by()
        .values("review")
        .annotate(total=Count("pk"))
        .values("total")
    )
    base = (
        row
        for row in reviews.annotate(
            reply_count=Coalesce(Subquery(replies), 0),
            # Yes or no is all the file says: booleans, not two datetimes to parse a row.
            unshared=ExpressionWrapper(Q(unshared_at__isnull=False), output_field=BooleanField()),
            seen=ExpressionWrapper(Q(seen_at__isnull=False), output_field=BooleanField()),
        )
        .order_by("assignment__week__starts_at", "created_at", "id")
        .values_list(
            "assignment__week__team__name",
            "assignment__week__label",
            "pk",
            "created_at",
            "conversation_id",
            "conversation__subject",
            "conversation__source",
            "conversation__external_id",
            "conversation__url",
            "conversation__csat_rating",
            "conversation__tags",
            "reviewer__name",
            "reviewee__name",
            "scorecard__version",
            "score",
            "csat_cause",
            "start_note",
            "stop_note",
            "continue_note",
            "share_as_example",
            "unshared",
            "seen",
            "reply_count",
            "assignment__week_id",
        )
        .iterator(chunk_size=2000)
        # The tags are a JSON list, which SQLite cannot search in the query.
        if not wanted or any(str(t).casefold() == wanted for t in row[10] or [])
    )

    def lines() -> Iterator[list]:
        # A week at a time (the rows come by week): its ratings are read once for all its rows.
        for week_id, week_rows in groupby(base, key=itemgetter(-1)):
            ratings = read.of_week(week_id)
            for (
                team,
                week,
                review_id,
                created_at,
                conversation_id,
                subject,
                source,
                external_id,
                url,
                csat,
                tags,
                reviewer,
                reviewee,
                version,
                score,
                csat_cause,
                start,
                stop,
                keep,
                shared,
                unshared,
                seen,
                reply_count,
                _,
            ) in week_rows:
                rated = []
                for column in columns:
                    level, note, root_causes = ratings.get((review_id, column.key), ("", "", ""))
                    rated += [_text(level), _text(note), *([_text(root_causes)] if column.has_causes else [])]
                yield [
                    _text(team),
                    week,
                    review_id,
                    review_page(review_id),
                    created_at.isoformat(timespec="seconds"),
                    _text(subject or f"{sources.get(source, source)} #{external_id}"),  # str(conversation)
                    _text(url or conversation_page(conversation_id)),
                    csat if csat is not None else "",
                    _text(", ".join(tags or [])),
                    _text(reviewer),
                    _text(reviewee),
                    version,
                    *rated,
                    "" if score is None else round(score),
                    causes.get(csat_cause, ""),
                    _text(start),
                    _text(stop),
                    _text(keep),
                    "yes" if shared and not unshared else "no",
                    "yes" if seen else "no",
                    reply_count,
                ]

    header = [*REVIEW_COLUMNS_BEFORE, *(name for column in columns for name in column.names), *REVIEW_COLUMNS_AFTER]
    return _csv_lines(header, lines())


def completion_rows(weeks, *, agent_id: int | None = None) -> Iterator[str]:
    """One line per agent and week; `agent_id` keeps one agent's."""
    counts = {
        (row["week_id"], row["reviewer_id"]): row
        for row in Assignment.objects.toward_quota()
        .filter(week__in=weeks)
        .values("week_id", "reviewer_id")
        .annotate(
            assigned=Count("id", filter=~Q(status=Assignment.Status.RELEASED)),
            completed=Count("id", filter=Q(status=Assignment.Status.COMPLETED)),
            handed_back=Count("id", filter=Q(status=Assignment.Status.SKIPPED)),
        )
        .order_by()
    }
    quotas = AgentWeek.objects.filter(week__in=weeks)
    if agent_id is not None:
        quotas = quotas.filter(agent_id=agent_id)
    none = {"assigned": 0, "completed": 0, "handed_back": 0}
    rows = (
        [
            _text(quota.week.team.name),
            quota.week.label,
            _text(quota.agent.name),
            _text(quota.agent.email),
            quota.quota,
            quota.required,
            (count := counts.get((quota.week_id, quota.agent_id), none))["assigned"],
            count["completed"],
            count["handed_back"],
            quota.quota - quota.required,
            "yes" if quota.is_away else "no",
        ]
        for quota in quotas.select_related("week__team", "agent")
        .order_by("week__starts_at", "agent__name")
        .iterator(chunk_size=2000)
    )
    return _csv_lines(COMPLETION_COLUMNS, rows)
