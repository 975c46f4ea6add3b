"""Zendesk Support API (v2) client: incremental ticket export, ticket comments, agents, groups."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from . import fields
from .errors import HelpdeskAuthError, HelpdeskConfigError, HelpdeskError, HelpdeskRequestError
from .fields import RecordError, excerpt
from .http import HelpdeskHTTP
from .records import (
    AgentRecord,
    ConversationPage,
    ConversationRecord,
    Listing,
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

    def check_access(self) -> list[RecordProblem]:
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
        return []

    def teams(self) -> Listing[TeamRecord]:
        listing: Listing[TeamRecord] = Listing()
        for group in self._list("/api/v2/groups.json", "groups", {"page[size]": LIST_PAGE_SIZE}):
            try:
                external_id = fields.required_id(group)
                if fields.flag(group, "deleted"):
                    continue
                listing.records.append(TeamRecord(external_id, fields.text(group, "name") or f"Group {external_id}"))
            except RecordError as exc:
                listing.problems.append(
                    RecordProblem(fields.id_or_blank(group), f"Group skipped: {exc}.", excerpt(group))
                )
        return listing

    def agents(self) -> Listing[AgentRecord]:
        listing: Listing[AgentRecord] = Listing()
        memberships = self._list("/api/v2/group_memberships.json", "group_memberships", {"page[size]": LIST_PAGE_SIZE})
        groups_by_user: dict[str, list[str]] = {}
        readable = []
        for membership in memberships:
            try:
                user_id = fields.identifier(membership, "user_id")
                group_id = fields.identifier(membership, "group_id")
                default = fields.flag(membership, "default")
            except (RecordError, AttributeError) as exc:
                listing.problems.append(RecordProblem("", f"Group membership skipped: {exc}.", excerpt(membership)))
                continue
            if user_id and group_id:
                readable.append((not default, user_id, group_id))
        # The default group first: an agent's Carousel team is the first of their teams.
        for _, user_id, group_id in sorted(readable, key=lambda entry: entry[0]):
            groups_by_user.setdefault(user_id, []).append(group_id)
        users = self._list("/api/v2/users.json", "users", {"role[]": sorted(AGENT_ROLES), "page[size]": LIST_PAGE_SIZE})
        for user in users:
            try:
                record = self._agent(user, groups_by_user)
            except RecordError as exc:
                listing.problems.append(
                    RecordProblem(fields.id_or_blank(user), f"Agent skipped: {exc}.", excerpt(user))
                )
                continue
            if record is not None:
                listing.records.append(record)
        self.agent_ids = {agent.external_id for agent in listing.records}
        return listing

    @staticmethod
    def _agent(user: Any, groups_by_user: dict[str, list[str]]) -> AgentRecord | None:
        external_id = fields.required_id(user)
        # Checked again here so that end users never become agents, whatever the filter did.
        if fields.text(user, "role") not in AGENT_ROLES:
            return None
        email = fields.text(user, "email")
        try:
            # When the account was made: the nearest Zendesk has to a start date.
            created_at = fields.iso_time(user, "created_at")
        except RecordError:
            created_at = None  # a start date is a nicety: a teammate is never skipped for it
        return AgentRecord(
            external_id=external_id,
            name=fields.text(user, "name") or email or f"Agent {external_id}",
            email=email.lower(),
            is_active=fields.flag(user, "active", default=True) and not fields.flag(user, "suspended"),
            team_external_ids=tuple(groups_by_user.get(external_id, ())),
            started_on=created_at.date() if created_at else None,
        )

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
            raise HelpdeskError(f"Zendesk's ticket export has no ticket list: {excerpt(payload)}")
        page = ConversationPage()
        listed: dict[str, tuple[dict[str, Any], datetime | None]] = {}
        for item in payload["tickets"]:
            try:
                external_id = fields.required_id(item)
            except RecordError as exc:
                page.problems.append(RecordProblem("", f"Exported ticket skipped: {exc}.", excerpt(item)))
                continue
            try:
                updated_at = fields.iso_time(item, "updated_at")
            except RecordError:
                updated_at = None  # fetched anyway; the record says what is wrong
            listed[external_id] = (item, updated_at)
        already_stored = unchanged([(external_id, updated_at) for external_id, (_, updated_at) in listed.items()])
        to_fetch = [ticket for external_id, (ticket, _) in listed.items() if external_id not in already_stored]
        page.unchanged = len(listed) - len(to_fetch)
        for outcome in pool.map(self._conversation, to_fetch):
            if isinstance(outcome, RecordProblem):
                page.problems.append(outcome)
            else:
                page.conversations.append(outcome)
        # The last page still carries an after_cursor (for polling later); end_of_stream says it is the last.
        cursor = payload.get("after_cursor")
        last = payload.get("end_of_stream") or not (isinstance(cursor, str) and cursor)
        page.next_token = None if last else cursor
        return page

    def _conversation(self, ticket: dict[str, Any]) -> ConversationRecord | RecordProblem:
        external_id = str(ticket["id"])
        try:
            comments: list[Any] = []
            users: dict[str, dict[str, Any]] = {}
            # Zendesk answers 404 for a deleted ticket's comments; it is excluded as spam anyway.
            if ticket.get("status") != DELETED_STATUS:
                comments, users = self._comments(external_id)
            return self.conversation_record(ticket, comments, users)
        except HelpdeskRequestError as exc:
            # Deleted or merged between the export and this request: the next export says which.
            return RecordProblem(external_id, f"Comments unavailable: {exc}", excerpt(ticket))
        except UnreadableAnswer as exc:
            return RecordProblem(external_id, f"Ticket skipped: {exc}", excerpt(ticket))
        except RecordError as exc:
            return RecordProblem(external_id, f"Ticket skipped: {exc}.", excerpt(ticket))

    def _comments(self, ticket_id: str) -> tuple[list[Any], dict[str, dict[str, Any]]]:
        """Every comment of a ticket, and their authors sideloaded (name and role) by include=users."""
        comments: list[Any] = []
        users: dict[str, dict[str, Any]] = {}
        for payload in self._pages(f"/api/v2/tickets/{ticket_id}/comments.json", "comments", {"include": "users"}):
            comments.extend(payload["comments"])
            for user in fields.items(payload, "users"):
                if isinstance(user, dict) and fields.identifier(user):
                    users[fields.identifier(user)] = user
        return comments, users

    def conversation_record(
        self, ticket: Any, comments: list[Any], users: dict[str, dict[str, Any]]
    ) -> ConversationRecord:
        external_id = fields.required_id(ticket)
        status = fields.text(ticket, "status")
        closed = status in CLOSED_STATUSES or status == DELETED_STATUS
        requester_id = fields.identifier(ticket, "requester_id")
        comment_list = [_object(comment, "a comment") for comment in comments]
        comment_times = [fields.iso_time(comment, "created_at") for comment in comment_list]
        created_at, updated_at, warnings = fields.times_settle(
            fields.iso_time(ticket, "created_at"),
            fields.iso_time(ticket, "updated_at"),
            [when for when in comment_times if when is not None],
        )
        messages = self._transcript(comment_list, comment_times, created_at, requester_id, users, warnings)
        rating = fields.mapping(ticket, "satisfaction_rating")
        tags = _tags(ticket)
        return ConversationRecord(
            external_id=external_id,
            created_at=created_at,
            updated_at=updated_at,
            # Solved tickets carry no solved time without the ticket metrics; the last update is close.
            closed_at=updated_at if closed else None,
            messages=tuple(messages),
            url=f"{self.web_app}/agent/tickets/{external_id}",
            subject=fields.text(ticket, "subject") or fields.text(ticket, "raw_subject"),
            state="closed" if closed else "open",
            assignee_external_id=fields.identifier(ticket, "assignee_id"),
            team_external_id=fields.identifier(ticket, "group_id"),
            tags=tags,
            csat_rating=CSAT_RATINGS.get(fields.text(rating, "score")),
            csat_remark=fields.text(rating, "comment"),
            is_spam=status == DELETED_STATUS,
            warnings=tuple(warnings),
        )

    def _transcript(
        self,
        comments: list[dict[str, Any]],
        comment_times: list[datetime | None],
        created_at: datetime,
        requester_id: str,
        users: dict[str, dict[str, Any]],
        warnings: list[str],
    ) -> list[MessageRecord]:
        """Each comment that says something; a comment without a time is added to `warnings`."""
        messages: list[MessageRecord] = []
        for comment, when in zip(comments, comment_times, strict=True):
            if when is None:
                when = messages[-1].created_at if messages else created_at
                warnings.append(
                    f"A comment ({fields.identifier(comment) or 'no id'}) had no time; "
                    "it is shown at the time of the comment before it."
                )
            message = self._message(comment, when, requester_id, users)
            if message is not None:
                messages.append(message)
        return messages

    def _message(
        self, comment: dict[str, Any], created_at: datetime, requester_id: str, users: dict[str, dict[str, Any]]
    ) -> MessageRecord | None:
        body = fields.text(comment, "html_body") or fields.text(comment, "body")
        attachments = fields.attachments(comment, name="file_name", url="content_url", size="size")
        if not body.strip() and not attachments:
            return None
        author_id = fields.identifier(comment, "author_id")
        author = users.get(author_id) or {}
        # The sideloaded role is current; the agent list covers an author the sideload left out.
        by_agent = author.get("role") in AGENT_ROLES or author_id in self.agent_ids
        kind = _author_kind(comment, author_id, by_agent=by_agent, requester_id=requester_id)
        return MessageRecord(
            external_id=fields.identifier(comment) or fields.derived_id(author_id, created_at, body),
            author_kind=kind,
            created_at=created_at,
            # html_body keeps the formatting; body is the plain-text fallback.
            body=body,
            author_external_id=author_id if by_agent else "",
            author_name=fields.text(author, "name"),
            attachments=attachments,
        )

    def _pages(self, path: str, key: str, params: dict[str, Any]) -> Iterator[dict[str, Any]]:
        """Each page of a list, following cursor (links.next) or offset (next_page) pagination."""
        url: str | None = path
        page_params: dict[str, Any] | None = params
        while url:
            payload = self.http.get(url, params=page_params)
            if not isinstance(payload, dict) or not isinstance(payload.get(key), list):
                raise UnreadableAnswer(f"Zendesk's answer to {path} has no {key} list: {excerpt(payload)}")
            yield payload
            # The next link repeats every parameter.
            url, page_params = self._next_page(payload), None

    def _list(self, path: str, key: str, params: dict[str, Any]) -> list[dict[str, Any]]:
        return [item for payload in self._pages(path, key, params) for item in payload[key]]

    @staticmethod
    def _next_page(payload: dict[str, Any]) -> str | None:
        try:
            if "meta" in payload or "links" in payload:
                has_more = fields.flag(fields.mapping(payload, "meta"), "has_more")
                url = fields.text(fields.mapping(payload, "links"), "next") if has_more else ""
            else:
                url = fields.text(payload, "next_page")
        except RecordError as exc:
            raise UnreadableAnswer(f"Zendesk's pagination cannot be read ({exc}): {excerpt(payload)}") from exc
        return _relative(url) if url else None

    def close(self) -> None:
        self.http.close()


def _object(entry: Any, what: str) -> dict[str, Any]:
    if not isinstance(entry, dict):
        raise RecordError(f"{what} should be an object, got {fields.kind(entry)}")
    return entry


def _author_kind(comment: dict[str, Any], author_id: str, *, by_agent: bool, requester_id: str) -> str:
    via = fields.mapping(comment, "via") or fields.mapping(fields.mapping(comment, "metadata"), "via")
    if not fields.flag(comment, "public", default=True):
        return "note"
    if by_agent:
        return "agent"
    if fields.text(via, "channel") in AUTOMATED_CHANNELS and author_id != requester_id:
        return "bot"
    return "customer"


def _tags(ticket: Any) -> tuple[str, ...]:
    tags = fields.items(ticket, "tags")
    if not all(isinstance(tag, str) for tag in tags):
        raise RecordError("'tags' should be a list of text")
    return tuple(tag for tag in tags if tag.strip())
