"""Plain records every connector returns: the rest of the app never sees a vendor payload."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Generic, Protocol, TypeVar

from .errors import HelpdeskRequestError


@dataclass(frozen=True)
class TeamRecord:
    external_id: str
    name: str


@dataclass(frozen=True)
class AgentRecord:
    external_id: str
    name: str
    email: str
    is_active: bool = True
    is_away: bool = False
    team_external_ids: tuple[str, ...] = ()
    started_on: date | None = None  # where the helpdesk knows it


@dataclass(frozen=True)
class AttachmentRecord:
    name: str
    url: str  # checked for http(s) on save
    content_type: str = ""
    size: int | None = None


@dataclass(frozen=True)
class MessageRecord:
    external_id: str
    author_kind: str  # an AuthorKind value
    created_at: datetime
    body: str  # raw HTML or text from the helpdesk; sanitised on save; "" for attachment-only
    author_external_id: str = ""
    author_name: str = ""
    attachments: tuple[AttachmentRecord, ...] = ()


@dataclass(frozen=True)
class ConversationRecord:
    external_id: str
    created_at: datetime
    updated_at: datetime
    messages: tuple[MessageRecord, ...]
    url: str = ""
    subject: str = ""
    state: str = ""
    closed_at: datetime | None = None
    assignee_external_id: str = ""
    team_external_id: str = ""
    tags: tuple[str, ...] = ()
    csat_rating: int | None = None
    csat_remark: str = ""
    is_spam: bool = False
    # Times it was reopened after a first reply, where the helpdesk says (Intercom's statistics).
    reopens: int | None = None
    # The helpdesk holds more messages than it returned (Intercom sends at most 500 parts).
    is_truncated: bool = False
    # What was filled in or left out to store it (a part without a time, say), for the lead.
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True)
class RecordProblem:
    """A record that could not be read: logged against the sync run and skipped.

    With ``skipped=False`` the record was stored, and this says what was wrong with it.
    """

    external_id: str
    message: str
    payload_excerpt: str = ""
    skipped: bool = True


T = TypeVar("T")


@dataclass
class Listing(Generic[T]):
    """Teams or teammates as read, and the entries that could not be."""

    records: list[T] = field(default_factory=list)
    problems: list[RecordProblem] = field(default_factory=list)


@dataclass
class ConversationPage:
    conversations: list[ConversationRecord] = field(default_factory=list)
    problems: list[RecordProblem] = field(default_factory=list)
    # Listed but unchanged since the last sync, so not fetched again.
    unchanged: int = 0
    # Where the next page starts; None after the last page.
    next_token: str | None = None


# Given (external_id, updated_at or None) pairs, returns the ids stored at that version or newer.
UnchangedFilter = Callable[[list[tuple[str, datetime | None]]], set[str]]


class Helpdesk(Protocol):
    source: str

    def check_access(self) -> list[RecordProblem]:
        """Raises HelpdeskAuthError on refused credentials; returns warnings about the account."""
        ...

    def teams(self) -> Listing[TeamRecord]: ...

    def agents(self) -> Listing[AgentRecord]: ...

    def conversation_pages(
        self,
        *,
        updated_since: datetime | None,
        resume_token: str,
        unchanged: UnchangedFilter,
    ) -> Iterator[ConversationPage]: ...

    def close(self) -> None:
        """Lets go of its connections; called once a run is over, however it ended."""
        ...


def follow_cursor(
    *,
    fetch: Callable[[str | None], Any],
    build: Callable[[Any], ConversationPage],
    resume_token: str,
) -> Iterator[ConversationPage]:
    """Pages through a vendor's listing by its cursor, starting from `resume_token`.

    A cursor the vendor no longer accepts (they expire) starts the listing again from the
    beginning, once: the upserts downstream make the repeated records harmless.
    """
    cursor = resume_token or None
    restarted = False
    while True:
        try:
            payload = fetch(cursor)
        except HelpdeskRequestError:
            if not cursor or restarted:
                raise
            cursor, restarted = None, True
            continue
        page = build(payload)
        yield page
        if page.next_token is None:
            return
        cursor = page.next_token
