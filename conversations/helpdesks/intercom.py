"""Intercom REST API (version 2.16) client: search, conversation parts, admins, teams."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from typing import Any
from urllib.parse import quote, urlsplit

from . import fields
from .errors import HelpdeskError, HelpdeskRequestError
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

SEARCH_PAGE_SIZE = 150  # Intercom's maximum
CUSTOMER_AUTHOR_TYPES = {"user", "lead", "contact"}
NOTE_PART_TYPES = {"note", "note_and_reopen"}


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

    def check_access(self) -> list[RecordProblem]:
        """GET /me fails fast on a bad token, and names the workspace for inbox links."""
        me = self.http.get("/me")
        app = me.get("app") if isinstance(me, dict) else None
        code = app.get("id_code") if isinstance(app, dict) else None
        if not isinstance(code, str) or not code:
            return [
                RecordProblem(
                    "me",
                    "Intercom did not name the workspace (/me has no app id_code), "
                    "so conversations are stored without an 'Open in the helpdesk' link.",
                    excerpt(me),
                    skipped=False,
                )
            ]
        self.app_id = code
        return []

    def teams(self) -> Listing[TeamRecord]:
        listing: Listing[TeamRecord] = Listing()
        for team in self._list("/teams", "teams"):
            try:
                external_id = fields.required_id(team)
                name = fields.text(team, "name") or f"Team {external_id}"
            except RecordError as exc:
                listing.problems.append(RecordProblem(fields.id_or_blank(team), f"Team skipped: {exc}.", excerpt(team)))
                continue
            listing.records.append(TeamRecord(external_id=external_id, name=name))
        return listing

    def agents(self) -> Listing[AgentRecord]:
        listing: Listing[AgentRecord] = Listing()
        for admin in self._list("/admins", "admins"):
            try:
                record = self._agent(admin)
            except RecordError as exc:
                listing.problems.append(
                    RecordProblem(fields.id_or_blank(admin), f"Teammate skipped: {exc}.", excerpt(admin))
                )
                continue
            if record is not None:
                listing.records.append(record)
        return listing

    def _list(self, path: str, key: str) -> list[Any]:
        payload = self.http.get(path)
        entries = payload.get(key) if isinstance(payload, dict) else None
        if not isinstance(entries, list):
            raise HelpdeskError(f"Intercom's answer to {path} has no {key} list: {excerpt(payload)}")
        return entries

    @staticmethod
    def _agent(admin: Any) -> AgentRecord | None:
        external_id = fields.required_id(admin)
        if (fields.text(admin, "type") or "admin") != "admin":
            return None  # bots and teams answer as other types
        email = fields.text(admin, "email")
        return AgentRecord(
            external_id=external_id,
            name=fields.text(admin, "name") or email or f"Admin {external_id}",
            email=email.lower(),
            is_away=fields.flag(admin, "away_mode_enabled"),
            team_external_ids=tuple(
                team_id for team_id in (_team_id(value) for value in fields.items(admin, "team_ids")) if team_id
            ),
        )

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
            raise HelpdeskError(f"Intercom's search answer has no conversation list: {excerpt(payload)}")
        page = ConversationPage()
        listed: list[tuple[str, datetime | None]] = []
        for item in payload["conversations"]:
            try:
                external_id = fields.required_id(item)
            except RecordError as exc:
                page.problems.append(RecordProblem("", f"Search result skipped: {exc}.", excerpt(item)))
                continue
            try:
                updated_at = fields.unix_time(item, "updated_at")
            except RecordError:
                updated_at = None  # fetched anyway; the conversation itself says
            listed.append((external_id, updated_at))
        already_stored = unchanged(listed)
        to_fetch = list(dict.fromkeys(external_id for external_id, _ in listed if external_id not in already_stored))
        page.unchanged = len(listed) - len(to_fetch)
        for outcome in pool.map(self._conversation, to_fetch):
            if isinstance(outcome, RecordProblem):
                page.problems.append(outcome)
            else:
                page.conversations.append(outcome)
        pages = payload.get("pages")
        next_page = pages.get("next") if isinstance(pages, dict) else None
        token = next_page.get("starting_after") if isinstance(next_page, dict) else None
        page.next_token = token if isinstance(token, str) and token else None
        return page

    def _conversation(self, external_id: str) -> ConversationRecord | RecordProblem:
        try:
            payload = self.http.get(f"/conversations/{quote(external_id, safe='')}")
        except HelpdeskRequestError as exc:
            # Deleted or merged between the search and this request: the next search says which.
            return RecordProblem(external_id, f"Conversation unavailable: {exc}")
        try:
            return self.conversation_record(payload)
        except RecordError as exc:
            return RecordProblem(external_id, f"Conversation skipped: {exc}.", excerpt(payload))

    def conversation_record(self, payload: Any) -> ConversationRecord:
        external_id = fields.required_id(payload)
        source = fields.mapping(payload, "source")
        parts_list = fields.mapping(payload, "conversation_parts")
        parts = fields.objects(parts_list, "conversation_parts")
        part_times = [fields.unix_time(part, "created_at") for part in parts]
        created_at, updated_at, warnings = fields.times_settle(
            fields.unix_time(payload, "created_at"),
            fields.unix_time(payload, "updated_at"),
            [when for when in part_times if when is not None],
        )
        messages = _transcript(external_id, source, parts, part_times, created_at, warnings)
        total = fields.whole_number(parts_list, "total_count")
        state = fields.text(payload, "state") or ("open" if fields.flag(payload, "open") else "closed")
        closed_at = _closed_at(payload, updated_at) if state == "closed" else None
        assignee = fields.identifier(payload, "admin_assignee_id")
        team = fields.identifier(payload, "team_assignee_id")
        rating = fields.mapping(payload, "conversation_rating")
        score = _csat_score(rating)
        inbox = f"{self.app_host}/a/inbox/{self.app_id}/inbox/conversation/{external_id}" if self.app_id else ""
        return ConversationRecord(
            external_id=external_id,
            created_at=created_at,
            updated_at=updated_at,
            closed_at=closed_at,
            messages=tuple(messages),
            url=inbox,
            subject=fields.text(payload, "title") or fields.text(source, "subject"),
            state=state,
            assignee_external_id=assignee,
            team_external_id=team,
            tags=_tags(payload),
            csat_rating=score,
            csat_remark=fields.text(rating, "remark"),
            reopens=fields.count(fields.mapping(payload, "statistics"), "count_reopens", warnings),
            is_truncated=total is not None and total > len(parts),
            warnings=tuple(warnings),
        )

    def internal_article_create(self, *, title: str, body: str, author_id: int) -> str:
        """POST /internal_articles (2.16): publishes HTML as an internal article by `author_id`
        (an admin, its owner too) and returns its id."""
        answer = self.http.post(
            "/internal_articles", {"title": title, "body": body, "author_id": author_id, "owner_id": author_id}
        )
        article_id = answer.get("id") if isinstance(answer, dict) else None
        if isinstance(article_id, bool) or not isinstance(article_id, str | int) or article_id in ("", 0):
            raise HelpdeskError(f"Intercom answered without the new article's id: {excerpt(answer)}")
        return str(article_id)

    def close(self) -> None:
        self.http.close()


def _team_id(value: Any) -> str:
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise RecordError(f"'team_ids' should hold ids, got {fields.kind(value)}")
    return str(value)


def _transcript(
    external_id: str,
    source: dict[str, Any],
    parts: list[dict[str, Any]],
    part_times: list[datetime | None],
    created_at: datetime,
    warnings: list[str],
) -> list[MessageRecord]:
    """The opening message and each part that says something; a part without a time is added to `warnings`."""
    # The opening message has the conversation's time; its id is the source's, when there is one.
    opening = _message({**source, "id": f"source-{fields.identifier(source) or external_id}"}, "comment", created_at)
    messages = [opening] if opening else []
    for part, when in zip(parts, part_times, strict=True):
        if when is None:
            when = messages[-1].created_at if messages else created_at
            warnings.append(
                f"A message ({fields.identifier(part) or 'no id'}) had no time; "
                "it is shown at the time of the message before it."
            )
        message = _message(part, fields.text(part, "part_type"), when)
        if message is not None:
            messages.append(message)
    return messages


def _closed_at(payload: Any, updated_at: datetime) -> datetime:
    return fields.unix_time(fields.mapping(payload, "statistics"), "last_close_at") or updated_at


def _csat_score(rating: dict[str, Any]) -> int | None:
    score = fields.whole_number(rating, "rating")
    if score is not None and not 1 <= score <= 5:
        raise RecordError(f"its CSAT rating {score} is not 1 to 5")
    return score


def _tags(payload: Any) -> tuple[str, ...]:
    names = []
    for tag in fields.items(fields.mapping(payload, "tags"), "tags"):
        if not isinstance(tag, dict):
            raise RecordError(f"a tag should be an object, got {fields.kind(tag)}")
        name = fields.text(tag, "name").strip()
        if name:  # a tag without a name says nothing a reviewer could use
            names.append(name)
    return tuple(names)


def _message(part: dict[str, Any], part_type: str, created_at: datetime) -> MessageRecord | None:
    """A part that says something (words or files); None for events such as assignments."""
    body = fields.text(part, "body")
    attachments = fields.attachments(part)
    if not body.strip() and not attachments:
        return None
    author = fields.mapping(part, "author")
    author_type = fields.text(author, "type")
    kind = _author_kind(part_type, author_type, author)
    author_id = fields.identifier(author)
    return MessageRecord(
        external_id=fields.identifier(part) or fields.derived_id(part_type, author_type, author_id, created_at, body),
        author_kind=kind,
        created_at=created_at,
        body=body,
        author_external_id=author_id if kind in ("agent", "note") else "",
        author_name=fields.text(author, "name"),
        attachments=attachments,
    )


def _author_kind(part_type: str, author_type: str, author: dict[str, Any]) -> str:
    if part_type in NOTE_PART_TYPES:
        return "note"
    if author_type in CUSTOMER_AUTHOR_TYPES:
        return "customer"
    if author_type == "admin" and not (fields.flag(author, "from_ai_agent") or fields.flag(author, "is_ai_answer")):
        return "agent"
    # Fin, workflows and messages sent on behalf of a team are automation.
    return "bot"
