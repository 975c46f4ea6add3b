"""Intercom REST API (version 2.16) client: search, conversation parts, admins, teams."""

from __future__ import annotations

import json
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from .errors import HelpdeskError
from .http import HelpdeskHTTP
from .records import (
    AgentRecord,
    ConversationPage,
    ConversationRecord,
    MessageRecord,
    RecordProblem,
    TeamRecord,
    UnchangedFilter,
    follow_cursor,
)

SEARCH_PAGE_SIZE = 150  # Intercom's maximum
CUSTOMER_AUTHOR_TYPES = {"user", "lead", "contact"}
NOTE_PART_TYPES = {"note", "note_and_reopen"}


def _timestamp(value: Any) -> datetime:
    if not isinstance(value, int | float) or isinstance(value, bool):
        raise ValueError(f"expected a Unix timestamp, got {value!r}")
    return datetime.fromtimestamp(value, tz=UTC)


def _excerpt(payload: Any) -> str:
    try:
        return json.dumps(payload)[:500]
    except (TypeError, ValueError):
        return repr(payload)[:500]


def _app_host(api_base: str) -> str:
    """The inbox lives on app.<region>.intercom.com for EU and AU workspaces."""
    host = urlsplit(api_base).hostname or ""
    for region in ("eu", "au"):
        if host == f"api.{region}.intercom.io":
            return f"https://app.{region}.intercom.com"
    return "https://app.intercom.com"


class IntercomClient:
    source = "intercom"

    def __init__(
        self,
        *,
        access_token: str,
        api_base: str = "https://api.intercom.io",
        api_version: str = "2.16",
        concurrency: int = 4,
        page_size: int = SEARCH_PAGE_SIZE,
        **http_options: Any,
    ):
        self.http = HelpdeskHTTP(
            vendor="Intercom",
            base_url=api_base,
            credential_hint="INTERCOM_ACCESS_TOKEN",
            headers={
                "Authorization": f"Bearer {access_token}",
                "Intercom-Version": api_version,
            },
            pool_size=concurrency,
            **http_options,
        )
        self.concurrency = max(concurrency, 1)
        self.page_size = page_size
        self.app_host = _app_host(api_base)
        self.app_id = ""

    def check_access(self) -> None:
        """GET /me fails fast on a bad token, and names the workspace for inbox links."""
        me = self.http.get("/me")
        self.app_id = str((me.get("app") or {}).get("id_code") or "")

    def teams(self) -> list[TeamRecord]:
        payload = self.http.get("/teams")
        return [
            TeamRecord(external_id=str(team["id"]), name=team.get("name") or f"Team {team['id']}")
            for team in payload.get("teams", [])
        ]

    def agents(self) -> list[AgentRecord]:
        payload = self.http.get("/admins")
        return [
            AgentRecord(
                external_id=str(admin["id"]),
                name=admin.get("name") or admin.get("email") or f"Admin {admin['id']}",
                email=(admin.get("email") or "").lower(),
                is_away=bool(admin.get("away_mode_enabled")),
                team_external_ids=tuple(str(team_id) for team_id in admin.get("team_ids") or []),
            )
            for admin in payload.get("admins", [])
            if admin.get("type", "admin") == "admin"
        ]

    def conversation_pages(
        self,
        *,
        updated_since: datetime | None,
        resume_token: str,
        unchanged: UnchangedFilter,
    ) -> Iterator[ConversationPage]:
        since = int(updated_since.timestamp()) if updated_since else 0

        def search(starting_after: str | None) -> Any:
            pagination: dict[str, Any] = {"per_page": self.page_size}
            if starting_after:
                pagination["starting_after"] = starting_after
            # Intercom's ">" means "greater than or equal".
            query = {"field": "updated_at", "operator": ">", "value": since}
            return self.http.post("/conversations/search", json={"query": query, "pagination": pagination})

        with ThreadPoolExecutor(max_workers=self.concurrency) as pool:
            yield from follow_cursor(
                fetch=search, build=lambda payload: self._page(payload, pool, unchanged), resume_token=resume_token
            )

    def _page(self, payload: Any, pool: ThreadPoolExecutor, unchanged: UnchangedFilter) -> ConversationPage:
        if not isinstance(payload, dict) or not isinstance(payload.get("conversations"), list):
            raise HelpdeskError(f"Intercom's search answer has no conversation list: {_excerpt(payload)}")
        page = ConversationPage()
        listed: list[tuple[str, datetime]] = []
        for item in payload["conversations"]:
            try:
                listed.append((str(item["id"]), _timestamp(item["updated_at"])))
            except (KeyError, TypeError, ValueError) as exc:
                external_id = str(item.get("id", "")) if isinstance(item, dict) else ""
                page.problems.append(RecordProblem(external_id, f"Unreadable search result: {exc}", _excerpt(item)))
        already_stored = unchanged(listed)
        to_fetch = [external_id for external_id, _ in listed if external_id not in already_stored]
        page.unchanged = len(listed) - len(to_fetch)
        for outcome in pool.map(self._conversation, to_fetch):
            if isinstance(outcome, RecordProblem):
                page.problems.append(outcome)
            else:
                page.conversations.append(outcome)
        next_page = (payload.get("pages") or {}).get("next") or {}
        page.next_token = next_page.get("starting_after") or None
        return page

    def _conversation(self, external_id: str) -> ConversationRecord | RecordProblem:
        payload = self.http.get(f"/conversations/{external_id}")
        try:
            return self.conversation_record(payload)
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            return RecordProblem(external_id, f"Unreadable conversation: {exc!r}", _excerpt(payload))

    def conversation_record(self, payload: dict[str, Any]) -> ConversationRecord:
        external_id = str(payload["id"])
        created_at = _timestamp(payload["created_at"])
        updated_at = _timestamp(payload["updated_at"])
        messages: list[MessageRecord] = []
        source = payload.get("source") or {}
        if source.get("body"):
            messages.append(self._message(f"source-{source.get('id') or external_id}", source, created_at, "comment"))
        parts = (payload.get("conversation_parts") or {}).get("conversation_parts") or []
        for part in parts:
            if part.get("body"):
                messages.append(
                    self._message(str(part["id"]), part, _timestamp(part["created_at"]), part.get("part_type", ""))
                )
        rating = payload.get("conversation_rating") or {}
        statistics = payload.get("statistics") or {}
        state = payload.get("state") or ("open" if payload.get("open") else "closed")
        closed_at = None
        if state == "closed":
            last_close = statistics.get("last_close_at")
            closed_at = _timestamp(last_close) if last_close else updated_at
        tags = (payload.get("tags") or {}).get("tags") or []
        assignee = payload.get("admin_assignee_id") or 0
        team = payload.get("team_assignee_id") or 0
        inbox = f"{self.app_host}/a/inbox/{self.app_id}/inbox/conversation/{external_id}" if self.app_id else ""
        return ConversationRecord(
            external_id=external_id,
            created_at=created_at,
            updated_at=updated_at,
            closed_at=closed_at,
            messages=tuple(messages),
            url=inbox,
            subject=payload.get("title") or source.get("subject") or "",
            state=state,
            assignee_external_id=str(assignee) if assignee else "",
            team_external_id=str(team) if team else "",
            tags=tuple(tag["name"] for tag in tags),
            csat_rating=rating.get("rating"),
            csat_remark=rating.get("remark") or "",
        )

    @staticmethod
    def _message(external_id: str, part: dict[str, Any], created_at: datetime, part_type: str) -> MessageRecord:
        author = part.get("author") or {}
        author_type = author.get("type", "")
        if part_type in NOTE_PART_TYPES:
            kind = "note"
        elif author_type in CUSTOMER_AUTHOR_TYPES:
            kind = "customer"
        elif author_type == "admin" and not (author.get("from_ai_agent") or author.get("is_ai_answer")):
            kind = "agent"
        else:
            # Fin, workflows and messages sent on behalf of a team are automation.
            kind = "bot"
        return MessageRecord(
            external_id=external_id,
            author_kind=kind,
            created_at=created_at,
            body=part["body"],
            author_external_id=str(author.get("id") or "") if kind in ("agent", "note") else "",
            author_name=author.get("name") or "",
        )

    def close(self) -> None:
        self.http.close()
