"""Zendesk Support API (v2) client: incremental ticket export, ticket comments, agents, groups."""

from __future__ import annotations

import json
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from .errors import HelpdeskAuthError, HelpdeskConfigError, HelpdeskError, HelpdeskRequestError
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

EXPORT_PATH = "/api/v2/incremental/tickets/cursor.json"
EXPORT_PAGE_SIZE = 1000  # the incremental export's maximum per_page
LIST_PAGE_SIZE = 100  # cursor pagination's maximum page[size]
AGENT_ROLES = {"agent", "admin"}
CLOSED_STATUSES = {"solved", "closed"}
# Zendesk has no spam status: a ticket marked as spam is deleted, and the export lists it as "deleted".
DELETED_STATUS = "deleted"
CSAT_RATINGS = {"good": 5, "bad": 1}  # "offered" and "unoffered" mean nobody answered the survey
# A public comment from someone who is neither an agent nor the requester, arriving through one of
# these channels, was posted by a trigger, an automation, an integration or an answer bot.
AUTOMATED_CHANNELS = {
    "rule",
    "api",
    "answer_bot",
    "answer_bot_api",
    "answer_bot_for_agents",
    "answer_bot_for_sdk",
    "answer_bot_for_slack",
    "answer_bot_for_web_widget",
}


class UnreadableAnswer(HelpdeskError):
    """Zendesk answered 200 with something that is not the documented list."""


def _time(value: Any) -> datetime:
    if not isinstance(value, str):
        raise ValueError(f"expected an ISO 8601 time, got {value!r}")
    parsed = datetime.fromisoformat(value)
    if parsed.tzinfo is None:
        raise ValueError(f"time {value!r} has no UTC offset")
    return parsed


def _excerpt(payload: Any) -> str:
    try:
        return json.dumps(payload)[:500]
    except (TypeError, ValueError):
        return repr(payload)[:500]


def _relative(url: str) -> str:
    """Pagination links name Zendesk's own host: follow them on ours, so credentials go nowhere else."""
    parts = urlsplit(url)
    return urlunsplit(("", "", parts.path, parts.query, ""))


class ZendeskClient:
    source = "zendesk"

    def __init__(
        self,
        *,
        subdomain: str,
        email: str,
        api_token: str,
        api_base: str | None = None,
        concurrency: int = 4,
        page_size: int = EXPORT_PAGE_SIZE,
        **http_options: Any,
    ):
        if not (subdomain or api_base):
            raise HelpdeskConfigError("ZENDESK_SUBDOMAIN is not set, so Carousel cannot find your Zendesk.")
        web_app = f"https://{subdomain}.zendesk.com" if subdomain else (api_base or "").rstrip("/")
        self.http = HelpdeskHTTP(
            vendor="Zendesk",
            base_url=api_base or web_app,
            credential_hint="ZENDESK_EMAIL and ZENDESK_API_TOKEN",
            auth=(f"{email}/token", api_token),
            pool_size=concurrency,
            **http_options,
        )
        self.concurrency = max(concurrency, 1)
        self.page_size = page_size
        # Agents open tickets in the web app even when api_base points at a proxy.
        self.web_app = web_app
        self.agent_ids: set[str] = set()

    def check_access(self) -> None:
        """GET users/me fails fast on a bad token.

        Show Self is open to anonymous visitors, so some rejected credentials come back as 200
        with an anonymous end user instead of a 401.
        """
        payload = self.http.get("/api/v2/users/me.json")
        user = payload.get("user") if isinstance(payload, dict) else None
        if not isinstance(user, dict) or not user.get("id") or user.get("role") == "end-user":
            raise HelpdeskAuthError(
                "The Zendesk token was rejected (Zendesk answered as an end user, not an admin). "
                "Check ZENDESK_EMAIL and ZENDESK_API_TOKEN and that they belong to a Zendesk admin."
            )

    def teams(self) -> list[TeamRecord]:
        groups = self._list("/api/v2/groups.json", "groups", {"page[size]": LIST_PAGE_SIZE})
        return [
            TeamRecord(external_id=str(group["id"]), name=group.get("name") or f"Group {group['id']}")
            for group in groups
            if not group.get("deleted")
        ]

    def agents(self) -> list[AgentRecord]:
        memberships = self._list("/api/v2/group_memberships.json", "group_memberships", {"page[size]": LIST_PAGE_SIZE})
        groups_by_user: dict[str, list[str]] = {}
        # The default group first: an agent's Carousel team is the first of their teams.
        for membership in sorted(memberships, key=lambda membership: not membership.get("default")):
            groups_by_user.setdefault(str(membership["user_id"]), []).append(str(membership["group_id"]))
        users = self._list("/api/v2/users.json", "users", {"role[]": sorted(AGENT_ROLES), "page[size]": LIST_PAGE_SIZE})
        agents = [
            AgentRecord(
                external_id=str(user["id"]),
                name=user.get("name") or user.get("email") or f"Agent {user['id']}",
                email=(user.get("email") or "").lower(),
                is_active=bool(user.get("active", True)) and not user.get("suspended"),
                team_external_ids=tuple(groups_by_user.get(str(user["id"]), ())),
            )
            for user in users
            # Checked again here so that end users never become agents, whatever the filter did.
            if user.get("role") in AGENT_ROLES
        ]
        self.agent_ids = {agent.external_id for agent in agents}
        return agents

    def conversation_pages(
        self,
        *,
        updated_since: datetime | None,
        resume_token: str,
        unchanged: UnchangedFilter,
    ) -> Iterator[ConversationPage]:
        start_time = int(updated_since.timestamp()) if updated_since else 0

        def export(cursor: str | None) -> Any:
            where = {"cursor": cursor} if cursor else {"start_time": start_time}
            return self.http.get(EXPORT_PATH, params={**where, "per_page": self.page_size})

        with ThreadPoolExecutor(max_workers=self.concurrency) as pool:
            yield from follow_cursor(
                fetch=export, build=lambda payload: self._page(payload, pool, unchanged), resume_token=resume_token
            )

    def _page(self, payload: Any, pool: ThreadPoolExecutor, unchanged: UnchangedFilter) -> ConversationPage:
        if not isinstance(payload, dict) or not isinstance(payload.get("tickets"), list):
            raise HelpdeskError(f"Zendesk's ticket export has no ticket list: {_excerpt(payload)}")
        page = ConversationPage()
        listed: dict[str, tuple[dict[str, Any], datetime]] = {}
        for item in payload["tickets"]:
            try:
                listed[str(item["id"])] = (item, _time(item["updated_at"]))
            except (KeyError, TypeError, ValueError) as exc:
                external_id = str(item.get("id", "")) if isinstance(item, dict) else ""
                page.problems.append(RecordProblem(external_id, f"Unreadable exported ticket: {exc!r}", _excerpt(item)))
        already_stored = unchanged([(external_id, updated_at) for external_id, (_, updated_at) in listed.items()])
        to_fetch = [ticket for external_id, (ticket, _) in listed.items() if external_id not in already_stored]
        page.unchanged = len(listed) - len(to_fetch)
        for outcome in pool.map(self._conversation, to_fetch):
            if isinstance(outcome, RecordProblem):
                page.problems.append(outcome)
            else:
                page.conversations.append(outcome)
        # The last page still carries an after_cursor (for polling later); end_of_stream says it is the last.
        page.next_token = None if payload.get("end_of_stream") else payload.get("after_cursor") or None
        return page

    def _conversation(self, ticket: dict[str, Any]) -> ConversationRecord | RecordProblem:
        external_id = str(ticket["id"])
        try:
            comments: list[dict[str, Any]] = []
            users: dict[str, dict[str, Any]] = {}
            # Zendesk answers 404 for a deleted ticket's comments; it is excluded as spam anyway.
            if ticket.get("status") != DELETED_STATUS:
                comments, users = self._comments(external_id)
            return self.conversation_record(ticket, comments, users)
        except HelpdeskRequestError as exc:
            # Deleted or merged between the export and this request: the next export says which.
            return RecordProblem(external_id, f"Comments unavailable: {exc}", _excerpt(ticket))
        except (UnreadableAnswer, KeyError, TypeError, ValueError, AttributeError) as exc:
            return RecordProblem(external_id, f"Unreadable ticket: {exc!r}", _excerpt(ticket))

    def _comments(self, ticket_id: str) -> tuple[list[dict[str, Any]], dict[str, dict[str, Any]]]:
        """Every comment of a ticket, and their authors sideloaded (name and role) by include=users."""
        comments: list[dict[str, Any]] = []
        users: dict[str, dict[str, Any]] = {}
        for payload in self._pages(f"/api/v2/tickets/{ticket_id}/comments.json", "comments", {"include": "users"}):
            comments.extend(payload["comments"])
            users.update((str(user["id"]), user) for user in payload.get("users") or [])
        return comments, users

    def conversation_record(
        self, ticket: dict[str, Any], comments: list[dict[str, Any]], users: dict[str, dict[str, Any]]
    ) -> ConversationRecord:
        external_id = str(ticket["id"])
        updated_at = _time(ticket["updated_at"])
        status = ticket.get("status") or ""
        closed = status in CLOSED_STATUSES or status == DELETED_STATUS
        requester_id = str(ticket.get("requester_id") or "")
        rating = ticket.get("satisfaction_rating") or {}
        assignee = ticket.get("assignee_id")
        group = ticket.get("group_id")
        return ConversationRecord(
            external_id=external_id,
            created_at=_time(ticket["created_at"]),
            updated_at=updated_at,
            # Solved tickets carry no solved time without the ticket metrics; the last update is close.
            closed_at=updated_at if closed else None,
            messages=tuple(
                self._message(comment, requester_id, users)
                for comment in comments
                if comment.get("html_body") or comment.get("body")
            ),
            url=f"{self.web_app}/agent/tickets/{external_id}",
            subject=ticket.get("subject") or ticket.get("raw_subject") or "",
            state="closed" if closed else "open",
            assignee_external_id=str(assignee) if assignee else "",
            team_external_id=str(group) if group else "",
            tags=tuple(str(tag) for tag in ticket.get("tags") or ()),
            csat_rating=CSAT_RATINGS.get(rating.get("score")),
            csat_remark=rating.get("comment") or "",
            is_spam=status == DELETED_STATUS,
        )

    def _message(self, comment: dict[str, Any], requester_id: str, users: dict[str, dict[str, Any]]) -> MessageRecord:
        author_id = str(comment.get("author_id") or "")
        author = users.get(author_id) or {}
        # The sideloaded role is current; the agent list covers an author the sideload left out.
        by_agent = author.get("role") in AGENT_ROLES or author_id in self.agent_ids
        via = comment.get("via") or (comment.get("metadata") or {}).get("via") or {}
        if comment.get("public") is False:
            kind = "note"
        elif by_agent:
            kind = "agent"
        elif via.get("channel") in AUTOMATED_CHANNELS and author_id != requester_id:
            kind = "bot"
        else:
            kind = "customer"
        return MessageRecord(
            external_id=str(comment["id"]),
            author_kind=kind,
            created_at=_time(comment["created_at"]),
            # html_body keeps the formatting; body is the plain-text fallback.
            body=comment.get("html_body") or comment["body"],
            author_external_id=author_id if by_agent else "",
            author_name=author.get("name") or "",
        )

    def _pages(self, path: str, key: str, params: dict[str, Any]) -> Iterator[dict[str, Any]]:
        """Each page of a list, following cursor (links.next) or offset (next_page) pagination."""
        url: str | None = path
        page_params: dict[str, Any] | None = params
        while url:
            payload = self.http.get(url, params=page_params)
            if not isinstance(payload, dict) or not isinstance(payload.get(key), list):
                raise UnreadableAnswer(f"Zendesk's answer to {path} has no {key} list: {_excerpt(payload)}")
            yield payload
            # The next link repeats every parameter.
            url, page_params = self._next_page(payload), None

    def _list(self, path: str, key: str, params: dict[str, Any]) -> list[dict[str, Any]]:
        return [item for payload in self._pages(path, key, params) for item in payload[key]]

    @staticmethod
    def _next_page(payload: dict[str, Any]) -> str | None:
        if "meta" in payload or "links" in payload:
            has_more = (payload.get("meta") or {}).get("has_more")
            url = (payload.get("links") or {}).get("next") if has_more else None
        else:
            url = payload.get("next_page")
        return _relative(url) if url else None

    def close(self) -> None:
        self.http.close()
