"""Conversation search: words and filters over the conversations a person may search
(`access.searchable_conversations`). On PostgreSQL the words go through full-text search
(English stemming, "quoted phrases", -excluded words, OR) on a GIN index; on SQLite every word
and phrase must appear in the text and an excluded one must not."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from django.contrib.postgres.search import SearchQuery, SearchVectorField
from django.db import connection
from django.db.models import BooleanField, Exists, Expression, ExpressionWrapper, F, OuterRef, Q, QuerySet
from django.utils import timezone

from conversations.models import Conversation

from .models import Review

PAGE_SIZE = 25
# Words typed in the box: more is a paste, not a search.
MOST_TERMS = 12


class SearchDocument(Expression):
    """PostgreSQL's stored text-search document of a conversation's search_text, with its GIN
    index: a column the database keeps (conversations migration 0007), not on the model."""

    output_field = SearchVectorField()

    def as_sql(self, compiler, connection):
        # The conversation table as this query names it (a subquery renames it).
        return f"{compiler.quote_name_unless_alias(compiler.query.base_table)}.search_document", []


class HasTag(Expression):
    """SQLite: the conversation's JSON list of tags holds exactly this one."""

    output_field = BooleanField()

    def __init__(self, tag: str):
        super().__init__()
        self.tag = tag

    def as_sql(self, compiler, connection):
        table = compiler.quote_name_unless_alias(compiler.query.base_table)
        return f"EXISTS (SELECT 1 FROM json_each({table}.tags) WHERE json_each.value = %s)", [self.tag]


@dataclass(frozen=True)
class Filters:
    text: str = ""
    team_id: int | None = None
    agent_id: int | None = None
    tag: str = ""
    csat: str = ""  # "", "1".."5", "low" (1-2), "high" (4-5), "none"
    closed_from: date | None = None
    closed_until: date | None = None
    reviewed: str = ""  # "", "yes", "no"
    excluded: str = ""  # "", "included", "excluded" or an exclusion reason


def terms(text: str) -> tuple[list[str], list[str]]:
    """(wanted, unwanted): "quoted phrases" and words, a leading - for unwanted; OR is
    PostgreSQL's alone and is dropped here."""
    wanted: list[str] = []
    unwanted: list[str] = []
    for match in re.finditer(r'(-?)"([^"]+)"|(-?)(\S+)', text):
        minus, phrase = (match.group(1), match.group(2)) if match.group(2) else (match.group(3), match.group(4))
        phrase = phrase.strip().strip('"')
        if not phrase or phrase.upper() == "OR":
            continue
        (unwanted if minus else wanted).append(phrase)
    return wanted[:MOST_TERMS], unwanted[:MOST_TERMS]


def _text_match(conversations: QuerySet[Conversation], text: str) -> QuerySet[Conversation]:
    if connection.vendor == "postgresql":
        query = SearchQuery(text, config="english", search_type="websearch")
        return conversations.alias(document=SearchDocument()).filter(document=query)
    wanted, unwanted = terms(text)
    for phrase in wanted:
        conversations = conversations.filter(search_text__icontains=phrase)
    for phrase in unwanted:
        conversations = conversations.exclude(search_text__icontains=phrase)
    return conversations


def with_tag(conversations: QuerySet[Conversation], tag: str) -> QuerySet[Conversation]:
    """Conversations carrying exactly this tag (as the helpdesk spells it)."""
    if connection.vendor == "postgresql":
        return conversations.filter(tags__contains=[tag])
    # SQLite has no containment for JSON: look through the list's values.
    return conversations.alias(listed=HasTag(tag)).filter(listed=True)


CSAT = {
    "1": Q(csat_rating=1),
    "2": Q(csat_rating=2),
    "3": Q(csat_rating=3),
    "4": Q(csat_rating=4),
    "5": Q(csat_rating=5),
    "low": Q(csat_rating__lte=2),
    "high": Q(csat_rating__gte=4),
    "none": Q(csat_rating__isnull=True),
}


def _day_start(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


@dataclass(frozen=True)
class Reader:
    """What the searcher may learn of each result (access.still_mine_to_review, access.handler_hidden)."""

    mine: Exists | None = None  # they still have it to review
    hidden: Exists | None = None  # who handled it is not theirs to know


def _reviewed(reader: Reader) -> Q:
    """Reviewed by someone; not yet, for the reader, while it is theirs to review."""
    reviewed = Q(Exists(Review.objects.filter(conversation=OuterRef("pk"))))
    return reviewed & ~Q(reader.mine) if reader.mine is not None else reviewed


def conversations_search(
    conversations: QuerySet[Conversation], filters: Filters, reader: Reader = Reader()
) -> QuerySet[Conversation]:
    """The conversations matching every filter given, newest closed first (open ones last)."""
    if filters.text.strip():
        conversations = _text_match(conversations, filters.text.strip())
    if filters.team_id is not None:
        conversations = conversations.filter(team_id=filters.team_id)
    if filters.agent_id is not None:
        conversations = conversations.filter(assignee_id=filters.agent_id)
        if reader.hidden is not None:
            conversations = conversations.exclude(reader.hidden)
    if filters.tag.strip():
        conversations = with_tag(conversations, filters.tag.strip())
    if filters.csat in CSAT:
        conversations = conversations.filter(CSAT[filters.csat])
    if filters.closed_from is not None:
        conversations = conversations.filter(closed_at__gte=_day_start(filters.closed_from))
    if filters.closed_until is not None:
        conversations = conversations.filter(closed_at__lt=_day_start(filters.closed_until + timedelta(days=1)))
    if filters.reviewed == "yes":
        conversations = conversations.filter(_reviewed(reader))
    elif filters.reviewed == "no":
        conversations = conversations.exclude(_reviewed(reader))
    if filters.excluded == "included":
        conversations = conversations.filter(exclusion_reason="")
    elif filters.excluded == "excluded":
        conversations = conversations.exclude(exclusion_reason="")
    elif filters.excluded:
        conversations = conversations.filter(exclusion_reason=filters.excluded)
    return conversations.order_by(F("closed_at").desc(nulls_last=True), F("id").desc())


@dataclass(frozen=True)
class ResultPage:
    rows: Sequence[Conversation]
    number: int
    has_next: bool

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def first(self) -> int:
        return (self.number - 1) * PAGE_SIZE + 1


# Beyond 10,000 results nobody pages; a narrower search finds it.
MOST_PAGES = 400


def result_page(conversations: QuerySet[Conversation], number: int, reader: Reader = Reader()) -> ResultPage:
    """One page in one query: a row more than the page says whether there is another, so a
    search over a year of conversations never counts them all."""
    number = min(max(number, 1), MOST_PAGES)
    start = (number - 1) * PAGE_SIZE
    annotations: dict[str, Any] = {"is_reviewed": ExpressionWrapper(_reviewed(reader), output_field=BooleanField())}
    if reader.hidden is not None:
        annotations["handler_hidden"] = reader.hidden
    rows = list(conversations.select_related("assignee", "team").annotate(**annotations)[start : start + PAGE_SIZE + 1])
    return ResultPage(rows[:PAGE_SIZE], number, len(rows) > PAGE_SIZE)
