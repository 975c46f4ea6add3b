"""File import (JSON or CSV, see docs/import-format.md): the connector for helpdesks without one."""

from __future__ import annotations

import csv
import json
from collections import Counter
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from . import fields
from .errors import HelpdeskError
from .fields import RecordError, excerpt
from .records import (
    AgentRecord,
    ConversationPage,
    ConversationRecord,
    Listing,
    MessageRecord,
    RecordProblem,
    TeamRecord,
    UnchangedFilter,
)

FORMAT = "carousel.conversations/v1"
AUTHOR_KINDS = {"customer", "agent", "bot", "note"}
PAGE_SIZE = 500


class ImportFileError(HelpdeskError):
    pass


def _when(payload: Any, key: str, shift: timedelta) -> datetime | None:
    when = fields.iso_time(payload, key)
    return when + shift if when else None


def _csv_rows(path: Path) -> list[dict[str, str]]:
    """Every row, its values trimmed; a column without a header, or a missing value, reads as ""."""
    try:
        with path.open(newline="", encoding="utf-8-sig") as handle:
            rows = list(csv.DictReader(handle))
    except UnicodeDecodeError as exc:
        raise ImportFileError(
            f"{path.name} is not UTF-8 text (byte {exc.object[exc.start]:#04x} at position {exc.start}). "
            'Save it as "CSV UTF-8" and import it again; nothing was imported.'
        ) from exc
    except csv.Error as exc:
        raise ImportFileError(f"{path.name} is not a readable CSV file ({exc}); nothing was imported.") from exc
    return [{key: (value or "").strip() for key, value in row.items() if isinstance(key, str) and key} for row in rows]


def _start_date(agent: dict[str, Any]) -> date | None:
    """An agent's `started_on` (YYYY-MM-DD), if it is one: a start date is a nicety, and a
    teammate is never skipped for a bad one."""
    value = agent.get("started_on")
    try:
        return date.fromisoformat(value) if isinstance(value, str) and value else None
    except ValueError:
        return None


def _csv_agents_add(agents: dict[str, dict[str, Any]], row: dict[str, str]) -> None:
    """The row's assignee and, when an agent wrote it, its author; the assignee is in the row's team."""
    team = row.get("team", "")
    for email, name in (
        (row.get("assignee_email", ""), row.get("assignee_name", "")),
        (
            row.get("author_email", "") if row.get("author") in ("agent", "note") else "",
            row.get("author_name", ""),
        ),
    ):
        if email:
            agent = agents.setdefault(email.lower(), {"id": email.lower(), "email": email, "name": name or email})
            if team and email == row.get("assignee_email"):
                agent.setdefault("team", team)


def _csv_conversation(row: dict[str, str]) -> dict[str, Any]:
    """A conversation as its first row describes it, with no messages yet."""
    rating = row.get("csat_rating", "")
    return {
        "id": row.get("conversation_id", ""),
        "subject": row.get("subject", ""),
        "state": row.get("state", "") or "closed",
        "url": row.get("url", ""),
        "assignee": row.get("assignee_email", "").lower(),
        "team": row.get("team", ""),
        "tags": [tag.strip() for tag in row.get("tags", "").split(";") if tag.strip()],
        # Not a number stays text, so the conversation is reported rather than rated wrongly.
        "csat": {
            "rating": int(rating) if rating.isascii() and rating.isdigit() else rating,
            "remark": row.get("csat_remark", ""),
        }
        if rating
        else None,
        "spam": row.get("spam", "").lower() in ("true", "1", "yes"),
        # Not a number stays text, so the record warns that it was left out.
        "reopens": (int(reopens) if reopens.isascii() and reopens.isdigit() else reopens)
        if (reopens := row.get("reopens", "").strip())
        else None,
        "messages": [],
    }


def _csv_message(row: dict[str, str]) -> dict[str, Any]:
    return {
        "id": row.get("message_id", ""),
        "author": row.get("author", ""),
        "agent": row.get("author_email", "").lower(),
        "name": row.get("author_name", ""),
        "created_at": row.get("message_created_at", ""),
        "body": row.get("body", ""),
        "attachments": [{"url": url} for url in row.get("attachments", "").split()],
    }


def _csv_times_fill(conversation: dict[str, Any]) -> None:
    """A CSV row carries no conversation times: the first and last message times stand in."""
    times = [message["created_at"] for message in conversation["messages"] if message["created_at"]]
    if not times:
        return
    try:
        # By the time they stand for, not as text: the offset changes when summer time does.
        ordered = sorted(times, key=_instant)
    except ValueError:
        # Such a message skips its conversation when it is read, whatever the order here.
        ordered = sorted(times)
    conversation["created_at"], conversation["updated_at"] = ordered[0], ordered[-1]
    if conversation["state"] == "closed":
        conversation["closed_at"] = ordered[-1]


def _instant(text: str) -> datetime:
    when = datetime.fromisoformat(text)
    if when.tzinfo is None:
        raise ValueError(f"{text!r} has no UTC offset")
    return when


def _csv_document(path: Path) -> dict[str, Any]:
    """Regroup one-row-per-message CSV into the JSON document shape."""
    teams: dict[str, dict[str, str]] = {}
    agents: dict[str, dict[str, Any]] = {}
    conversations: dict[str, dict[str, Any]] = {}
    for row in _csv_rows(path):
        team = row.get("team", "")
        if team:
            teams.setdefault(team, {"id": team, "name": team})
        _csv_agents_add(agents, row)
        conversation_id = row.get("conversation_id", "")
        if conversation_id not in conversations:
            conversations[conversation_id] = _csv_conversation(row)
        conversations[conversation_id]["messages"].append(_csv_message(row))
    for conversation in conversations.values():
        _csv_times_fill(conversation)
    return {
        "format": FORMAT,
        "teams": list(teams.values()),
        "agents": list(agents.values()),
        "conversations": list(conversations.values()),
    }


def load_document(path: Path) -> dict[str, Any]:
    if not path.exists():
        raise ImportFileError(f"There is no import file at {path}.")
    if path.suffix.lower() == ".csv":
        return _csv_document(path)
    try:
        document = json.loads(path.read_text(encoding="utf-8-sig"))
    except UnicodeDecodeError as exc:
        raise ImportFileError(f"{path.name} is not UTF-8 text; save it as UTF-8. Nothing was imported.") from exc
    except RecursionError as exc:
        raise ImportFileError(f"{path.name} is nested too deeply to be an import file; nothing was imported.") from exc
    except ValueError as exc:
        raise ImportFileError(f"{path.name} is not valid JSON ({exc}); nothing was imported.") from exc
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise ImportFileError(f'{path.name} is not a Carousel import file (expected "format": "{FORMAT}").')
    return document


class FileHelpdesk:
    """Serves one or more import files through the same interface as the API connectors."""

    source = "file"

    def __init__(self, documents: list[dict[str, Any]], *, rebase_to: datetime | None = None):
        self.documents = documents
        self.shift = self._rebase_shift(rebase_to) if rebase_to else timedelta(0)

    @classmethod
    def from_path(cls, path: str | Path, *, rebase_to: datetime | None = None) -> FileHelpdesk:
        path = Path(path)
        files = sorted([*path.glob("*.json"), *path.glob("*.csv")]) if path.is_dir() else [path]
        return cls([load_document(file) for file in files], rebase_to=rebase_to)

    def _rebase_shift(self, newest: datetime) -> timedelta:
        """Moves every time by one amount so the newest message is at `newest` (demo data)."""
        latest = None
        for conversation in self._entries("conversations"):
            messages = conversation.get("messages") if isinstance(conversation, dict) else None
            for message in messages if isinstance(messages, list) else []:
                try:
                    when = _when(message, "created_at", timedelta(0)) if isinstance(message, dict) else None
                except RecordError:
                    continue
                if when and (latest is None or when > latest):
                    latest = when
        if latest is None:
            return timedelta(0)
        # Whole minutes keep re-imports of the same file idempotent within a minute.
        return timedelta(minutes=int((newest - latest).total_seconds() // 60))

    def check_access(self) -> list[RecordProblem]:
        return []

    def teams(self) -> Listing[TeamRecord]:
        listing: Listing[TeamRecord] = Listing()
        for team in self._entries("teams"):
            try:
                external_id = fields.required_id(team)
                listing.records.append(TeamRecord(external_id, fields.text(team, "name") or external_id))
            except RecordError as exc:
                listing.problems.append(RecordProblem(fields.id_or_blank(team), f"Team skipped: {exc}.", excerpt(team)))
        return listing

    def agents(self) -> Listing[AgentRecord]:
        listing: Listing[AgentRecord] = Listing()
        for agent in self._entries("agents"):
            try:
                external_id = fields.required_id(agent)
                email = fields.text(agent, "email")
                team = fields.identifier(agent, "team")
                listing.records.append(
                    AgentRecord(
                        external_id=external_id,
                        name=fields.text(agent, "name") or email or external_id,
                        email=email.lower(),
                        is_active=fields.flag(agent, "active", default=True),
                        is_away=fields.flag(agent, "away"),
                        team_external_ids=(team,) if team else (),
                        started_on=_start_date(agent),
                    )
                )
            except RecordError as exc:
                listing.problems.append(
                    RecordProblem(fields.id_or_blank(agent), f"Teammate skipped: {exc}.", excerpt(agent))
                )
        return listing

    def _entries(self, key: str) -> list[Any]:
        entries = []
        for document in self.documents:
            listed = document.get(key) or []
            if not isinstance(listed, list):
                raise ImportFileError(f'"{key}" in the import file should be a list; nothing was imported.')
            entries.extend(listed)
        return entries

    def conversation_pages(
        self, *, updated_since: datetime | None, resume_token: str, unchanged: UnchangedFilter
    ) -> Iterator[ConversationPage]:
        # A file is read whole every time; unchanged conversations are skipped by version.
        items = self._entries("conversations")
        # Two entries with one id cannot both be right, and neither is more likely: both are reported.
        counts = Counter(fields.id_or_blank(item) for item in items)
        for start in range(0, len(items), PAGE_SIZE):
            page = ConversationPage()
            records = []
            for item in items[start : start + PAGE_SIZE]:
                external_id = fields.id_or_blank(item)
                if external_id and counts[external_id] > 1:
                    page.problems.append(
                        RecordProblem(
                            external_id,
                            f"Conversation skipped: its id appears {counts[external_id]} times in the file; "
                            "none of them was imported.",
                            excerpt(item),
                        )
                    )
                    continue
                try:
                    records.append(self.conversation_record(item))
                except RecordError as exc:
                    page.problems.append(RecordProblem(external_id, f"Conversation skipped: {exc}.", excerpt(item)))
            stored = unchanged([(record.external_id, record.updated_at) for record in records])
            page.conversations = [record for record in records if record.external_id not in stored]
            page.unchanged = len(records) - len(page.conversations)
            page.next_token = None
            yield page

    def conversation_record(self, item: Any) -> ConversationRecord:
        external_id = fields.required_id(item)
        messages = []
        for message in fields.items(item, "messages"):
            if not isinstance(message, dict):
                raise RecordError(f"a message should be an object, got {fields.kind(message)}")
            messages.append(self._message(message))
        csat = fields.mapping(item, "csat")
        rating = fields.whole_number(csat, "rating")
        if rating is not None and not 1 <= rating <= 5:
            raise RecordError(f"its CSAT rating {rating} is not 1 to 5")
        tags = fields.items(item, "tags")
        if not all(isinstance(tag, str) for tag in tags):
            raise RecordError("'tags' should be a list of text")
        created_at = _when(item, "created_at", self.shift)
        updated_at = _when(item, "updated_at", self.shift)
        if created_at is None or updated_at is None:
            raise RecordError("'created_at' and 'updated_at' are required")
        warnings: list[str] = []
        return ConversationRecord(
            external_id=external_id,
            created_at=created_at,
            updated_at=updated_at,
            closed_at=_when(item, "closed_at", self.shift),
            messages=tuple(messages),
            url=fields.text(item, "url"),
            subject=fields.text(item, "subject"),
            state=fields.text(item, "state") or "closed",
            assignee_external_id=fields.identifier(item, "assignee"),
            team_external_id=fields.identifier(item, "team"),
            tags=tuple(tag for tag in tags if tag.strip()),
            csat_rating=rating,
            csat_remark=fields.text(csat, "remark"),
            is_spam=fields.flag(item, "spam"),
            reopens=fields.count(item, "reopens", warnings),
            warnings=tuple(warnings),
        )

    def _message(self, message: dict[str, Any]) -> MessageRecord:
        external_id = fields.identifier(message)
        kind = fields.text(message, "author")
        if kind not in AUTHOR_KINDS:
            raise RecordError(f"message {external_id or '(no id)'} has unknown author {kind!r}")
        created_at = _when(message, "created_at", self.shift)
        if created_at is None:
            raise RecordError(f"message {external_id or '(no id)'} has no created_at")
        body = fields.text(message, "body")
        agent = fields.identifier(message, "agent")
        return MessageRecord(
            external_id=external_id or fields.derived_id(kind, agent, created_at, body),
            author_kind=kind,
            created_at=created_at,
            body=body,
            author_external_id=agent if kind in ("agent", "note") else "",
            author_name=fields.text(message, "name"),
            attachments=fields.attachments(message, size="size"),
        )

    def close(self) -> None:
        pass
