"""File import (JSON or CSV, see docs/import-format.md): the connector for helpdesks without one."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from .errors import HelpdeskError
from .records import (
    AgentRecord,
    ConversationPage,
    ConversationRecord,
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


def _when(value: Any, shift: timedelta) -> datetime:
    if not isinstance(value, str):
        raise ValueError(f"expected an ISO 8601 time, got {value!r}")
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if parsed.tzinfo is None:
        raise ValueError(f"time {value!r} has no UTC offset")
    return parsed + shift


def _excerpt(item: Any) -> str:
    return json.dumps(item, default=str)[:500]


def _csv_document(path: Path) -> dict[str, Any]:
    """Regroup one-row-per-message CSV into the JSON document shape."""
    teams: dict[str, dict] = {}
    agents: dict[str, dict] = {}
    conversations: dict[str, dict] = {}
    with path.open(newline="", encoding="utf-8-sig") as handle:
        for row in csv.DictReader(handle):
            row = {key: (value or "").strip() for key, value in row.items() if key}
            team = row.get("team", "")
            if team:
                teams.setdefault(team, {"id": team, "name": team})
            for email, name in (
                (row.get("assignee_email", ""), row.get("assignee_name", "")),
                (
                    row.get("author_email", "") if row.get("author") in ("agent", "note") else "",
                    row.get("author_name", ""),
                ),
            ):
                if email:
                    agent = agents.setdefault(
                        email.lower(), {"id": email.lower(), "email": email, "name": name or email}
                    )
                    if team and email == row.get("assignee_email"):
                        agent.setdefault("team", team)
            conversation = conversations.get(row.get("conversation_id", ""))
            if conversation is None:
                conversation = conversations[row.get("conversation_id", "")] = {
                    "id": row.get("conversation_id", ""),
                    "subject": row.get("subject", ""),
                    "state": row.get("state", "") or "closed",
                    "url": row.get("url", ""),
                    "assignee": row.get("assignee_email", "").lower(),
                    "team": team,
                    "tags": [tag.strip() for tag in row.get("tags", "").split(";") if tag.strip()],
                    "csat": {"rating": int(row["csat_rating"]), "remark": row.get("csat_remark", "")}
                    if row.get("csat_rating", "").isdigit()
                    else None,
                    "spam": row.get("spam", "").lower() in ("true", "1", "yes"),
                    "messages": [],
                }
            conversation["messages"].append(
                {
                    "id": row.get("message_id", ""),
                    "author": row.get("author", ""),
                    "agent": row.get("author_email", "").lower(),
                    "name": row.get("author_name", ""),
                    "created_at": row.get("message_created_at", ""),
                    "body": row.get("body", ""),
                }
            )
    for conversation in conversations.values():
        times = sorted(message["created_at"] for message in conversation["messages"])
        conversation["created_at"], conversation["updated_at"] = times[0], times[-1]
        if conversation["state"] == "closed":
            conversation["closed_at"] = times[-1]
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
    except (ValueError, UnicodeDecodeError) as exc:
        raise ImportFileError(f"{path.name} is not valid JSON: {exc}") from exc
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
        for document in self.documents:
            for conversation in document.get("conversations", []):
                for message in conversation.get("messages", []):
                    try:
                        when = _when(message.get("created_at"), timedelta(0))
                    except ValueError:
                        continue
                    latest = when if latest is None or when > latest else latest
        if latest is None:
            return timedelta(0)
        # Whole minutes keep re-imports of the same file idempotent within a minute.
        return timedelta(minutes=int((newest - latest).total_seconds() // 60))

    def check_access(self) -> None:
        pass

    def teams(self) -> list[TeamRecord]:
        return [
            TeamRecord(external_id=str(team["id"]), name=str(team.get("name") or team["id"]))
            for document in self.documents
            for team in document.get("teams", [])
        ]

    def agents(self) -> list[AgentRecord]:
        return [
            AgentRecord(
                external_id=str(agent["id"]),
                name=str(agent.get("name") or agent.get("email") or agent["id"]),
                email=str(agent.get("email") or "").lower(),
                is_active=bool(agent.get("active", True)),
                is_away=bool(agent.get("away", False)),
                team_external_ids=(str(agent["team"]),) if agent.get("team") else (),
            )
            for document in self.documents
            for agent in document.get("agents", [])
        ]

    def conversation_pages(
        self, *, updated_since: datetime | None, resume_token: str, unchanged: UnchangedFilter
    ) -> Iterator[ConversationPage]:
        # A file is read whole every time; unchanged conversations are skipped by version.
        items = [item for document in self.documents for item in document.get("conversations", [])]
        for start in range(0, len(items), PAGE_SIZE):
            page = ConversationPage()
            records = []
            for item in items[start : start + PAGE_SIZE]:
                try:
                    records.append(self.conversation_record(item))
                except (KeyError, TypeError, ValueError, AttributeError) as exc:
                    external_id = str(item.get("id", "")) if isinstance(item, dict) else ""
                    page.problems.append(RecordProblem(external_id, f"Unreadable conversation: {exc}", _excerpt(item)))
            stored = unchanged([(record.external_id, record.updated_at) for record in records])
            page.conversations = [record for record in records if record.external_id not in stored]
            page.unchanged = len(records) - len(page.conversations)
            page.next_token = None
            yield page

    def conversation_record(self, item: dict[str, Any]) -> ConversationRecord:
        messages = []
        for message in item["messages"]:
            kind = message["author"]
            if kind not in AUTHOR_KINDS:
                raise ValueError(f"message {message.get('id')!r} has unknown author {kind!r}")
            messages.append(
                MessageRecord(
                    external_id=str(message["id"]),
                    author_kind=kind,
                    created_at=_when(message["created_at"], self.shift),
                    body=str(message["body"]),
                    author_external_id=str(message.get("agent") or "") if kind in ("agent", "note") else "",
                    author_name=str(message.get("name") or ""),
                )
            )
        csat = item.get("csat") or {}
        rating = csat.get("rating")
        if rating is not None and (not isinstance(rating, int) or not 1 <= rating <= 5):
            raise ValueError(f"csat rating {rating!r} is not 1 to 5")
        closed_at = item.get("closed_at")
        return ConversationRecord(
            external_id=str(item["id"]),
            created_at=_when(item["created_at"], self.shift),
            updated_at=_when(item["updated_at"], self.shift),
            closed_at=_when(closed_at, self.shift) if closed_at else None,
            messages=tuple(messages),
            url=str(item.get("url") or ""),
            subject=str(item.get("subject") or ""),
            state=str(item.get("state") or "closed"),
            assignee_external_id=str(item.get("assignee") or ""),
            team_external_id=str(item.get("team") or ""),
            tags=tuple(str(tag) for tag in item.get("tags") or []),
            csat_rating=rating,
            csat_remark=str(csat.get("remark") or ""),
            is_spam=bool(item.get("spam", False)),
        )

    def close(self) -> None:
        pass
