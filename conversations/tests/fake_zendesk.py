"""A local Zendesk over real HTTP, answering with the API reference's example shapes.

Faults (429, 5xx, hangs, garbage, 401, an anonymous users/me, malformed lists) are queued per
path so a test can say exactly what the helpdesk does.
"""

from __future__ import annotations

import base64
import copy
import json
import math
import re
import threading
import time
from collections import deque
from dataclasses import dataclass
from datetime import UTC, datetime
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

from conversations.tests.fake_server import LoopbackServer

FIXTURES = Path(__file__).parent / "fixtures" / "zendesk"
SUBDOMAIN = "ledgerly"
EMAIL = "api-admin@ledgerly.example"
TOKEN = "6wiIBWbGkBMo1mRDMuVwkw1EPsNkeUj95PIz2akv"
EXPORT_PATH = "/api/v2/incremental/tickets/cursor.json"
CUSTOMER_IDS = 900_000  # a ticket's requester is user CUSTOMER_IDS + ticket id
_COMMENTS_PATH = re.compile(r"^/api/v2/tickets/(\d+)/comments\.json$")


def fixture(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text())


_EXPORT = fixture("ticket_export_cursor.json")
_TICKET = _EXPORT["tickets"][0]
_COMMENT = fixture("ticket_comments.json")["comments"][0]
_USER = fixture("users_me.json")["user"]
_ANONYMOUS_ME = fixture("users_me_anonymous.json")
_GROUP = fixture("group.json")
_MEMBERSHIP = fixture("group_memberships.json")["group_memberships"][0]
_ERROR_401 = fixture("error_401.json")


def iso(timestamp: int) -> str:
    return datetime.fromtimestamp(timestamp, tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _encode(state: dict[str, int]) -> str:
    return base64.urlsafe_b64encode(json.dumps(state).encode()).decode()


def _decode(cursor: str) -> dict[str, int]:
    return json.loads(base64.urlsafe_b64decode(cursor.encode()))


def user(
    user_id: int, name: str, email: str, *, role: str = "agent", active: bool = True, suspended: bool = False
) -> dict:
    payload = copy.deepcopy(_USER)
    payload.pop("authenticity_token")  # only Show Self carries one
    payload.update(
        id=user_id,
        name=name,
        email=email,
        role=role,
        active=active,
        suspended=suspended,
        url=f"https://{SUBDOMAIN}.zendesk.com/api/v2/users/{user_id}.json",
    )
    return payload


def group(group_id: int, name: str) -> dict:
    payload = copy.deepcopy(_GROUP)
    payload.update(id=group_id, name=name, url=f"https://{SUBDOMAIN}.zendesk.com/api/v2/groups/{group_id}.json")
    return payload


def membership(user_id: int, group_id: int, *, default: bool = False) -> dict:
    payload = copy.deepcopy(_MEMBERSHIP)
    payload.update(id=user_id * 1000 + group_id, user_id=user_id, group_id=group_id, default=default)
    return payload


def comment(
    comment_id: int,
    *,
    author_id: int,
    body: str,
    created_at: int,
    public: bool = True,
    channel: str = "web",
    html: bool = True,
) -> dict:
    """A comment as List Comments returns it, with the html_body, plain_body and via of the format table."""
    payload = copy.deepcopy(_COMMENT)
    via = {"channel": channel, "source": {"from": {}, "to": {}, "rel": None}}
    payload.update(
        id=comment_id,
        audit_id=comment_id + 1,
        author_id=author_id,
        body=body,
        plain_body=body,
        public=public,
        created_at=iso(created_at),
        attachments=[],
        via=via,
    )
    payload["metadata"]["via"] = via
    if html:
        payload["html_body"] = f'<div class="zd-comment" dir="auto"><p dir="auto">{body}</p></div>'
    return payload


def ticket(
    ticket_id: int,
    *,
    updated_at: int,
    assignee_id: int | None,
    group_id: int | None = None,
    created_at: int | None = None,
    status: str = "solved",
    tags: tuple[str, ...] = (),
    score: str | None = None,
    remark: str | None = None,
) -> dict:
    """A ticket as the incremental export lists it."""
    payload = copy.deepcopy(_TICKET)
    payload.update(
        id=ticket_id,
        url=f"https://{SUBDOMAIN}.zendesk.com/api/v2/tickets/{ticket_id}.json",
        created_at=iso(created_at if created_at is not None else updated_at - 3600),
        updated_at=iso(updated_at),
        generated_timestamp=updated_at,
        status=status,
        subject=f"Invoice totals wrong ({ticket_id})",
        raw_subject=f"Invoice totals wrong ({ticket_id})",
        requester_id=CUSTOMER_IDS + ticket_id,
        submitter_id=CUSTOMER_IDS + ticket_id,
        assignee_id=assignee_id,
        group_id=group_id,
        tags=list(tags),
        satisfaction_rating=None if score is None else {"id": ticket_id, "score": score, "comment": remark},
    )
    return payload


def reviewable_ticket(
    ticket_id: int, *, updated_at: int, assignee_id: int, replies: int = 3, note: bool = True, **extra
) -> tuple[dict, list[dict]]:
    """A normal back-and-forth: the customer asks, the agent answers several times, and notes it."""
    requester = CUSTOMER_IDS + ticket_id
    comments = [
        comment(
            ticket_id * 100,
            author_id=requester,
            created_at=updated_at - 3600,
            body="Hello, I need help with my invoices please, the totals look wrong since Monday.",
        )
    ]
    for index in range(replies):
        at = updated_at - 600 + index * 60
        comments.append(
            comment(
                ticket_id * 100 + 2 * index + 1,
                author_id=assignee_id,
                created_at=at,
                body=f"Thanks for the detail, here is step {index + 1} of the fix.",
            )
        )
        comments.append(
            comment(
                ticket_id * 100 + 2 * index + 2,
                author_id=requester,
                created_at=at + 30,
                body="Okay, that worked, one more question about it.",
            )
        )
    if note:
        comments.append(
            comment(
                ticket_id * 100 + 99,
                author_id=assignee_id,
                created_at=updated_at - 30,
                body="Refund approved by finance.",
                public=False,
            )
        )
    return ticket(ticket_id, updated_at=updated_at, assignee_id=assignee_id, **extra), comments


@dataclass
class Fault:
    path_prefix: str
    # "429", another HTTP status ("500", "503", "401", "404"), "timeout", "garbage",
    # "anonymous" (users/me answers as an anonymous visitor), "malformed-export", "malformed-comments"
    kind: str
    retry_after: str | None = None
    reset: str | None = None


class FakeZendesk(LoopbackServer):
    json_content_type = "application/json; charset=utf-8"

    def __init__(
        self,
        *,
        comments_per_page: int = 100,
        max_page_size: int = 100,
        rate_limit: tuple[int, float] = (700, 60.0),
        hang_seconds: float = 2.0,
    ):
        self.tickets: dict[str, dict] = {}
        self.comments: dict[str, list[dict]] = {}
        self.users: dict[str, dict] = {}
        self.groups: list[dict] = []
        self.memberships: list[dict] = []
        self.me = user(1, "API Admin", EMAIL, role="admin")
        self.comments_per_page = comments_per_page
        # Cursor pagination's page[size] is capped at this, as Zendesk caps it at 100.
        self.max_page_size = max_page_size
        self.rate_limit = rate_limit
        self.hang_seconds = hang_seconds
        self.faults: deque[Fault] = deque()
        self.log: list[tuple[str, str]] = []
        self.export_queries: list[dict[str, str]] = []
        self.too_many_requests = 0
        self._lock = threading.Lock()
        self._window_start = 0.0
        self._window_used = 0

    # --- data and faults ---------------------------------------------------------
    def put(self, exported_ticket: dict, comments: list[dict] | tuple = ()) -> None:
        ticket_id = str(exported_ticket["id"])
        self.tickets[ticket_id] = exported_ticket
        self.comments[ticket_id] = list(comments)
        # Zendesk has a user record for every requester.
        requester = exported_ticket["requester_id"]
        self.users.setdefault(
            str(requester), user(requester, "Casey Customer", f"casey+{requester}@example.com", role="end-user")
        )

    def put_user(self, *users: dict) -> None:
        for item in users:
            self.users[str(item["id"])] = item

    def fail(
        self, path_prefix: str, kind: str, times: int = 1, retry_after: str | None = None, reset: str | None = None
    ) -> None:
        for _ in range(times):
            self.faults.append(Fault(path_prefix, kind, retry_after, reset))

    def count(self, path_prefix: str) -> int:
        return sum(1 for _, path in self.log if path.startswith(path_prefix))

    # --- request handling -------------------------------------------------------------
    def _rate_limit_headers(self) -> tuple[dict[str, str], bool]:
        limit, window = self.rate_limit
        with self._lock:
            now = time.time()
            if now >= self._window_start + window:
                self._window_start, self._window_used = now, 0
            self._window_used += 1
            allowed = self._window_used <= limit
            remaining = str(max(limit - self._window_used, 0))
            # Seconds until the window resets, rounded up like Zendesk's.
            reset = str(math.ceil(self._window_start + window - now))
        return {
            "X-Rate-Limit": str(limit),
            "X-Rate-Limit-Remaining": remaining,
            "ratelimit-limit": str(limit),
            "ratelimit-remaining": remaining,
            "ratelimit-reset": reset,
        }, allowed

    def _next_fault(self, path: str) -> Fault | None:
        with self._lock:
            for fault in self.faults:
                if path.startswith(fault.path_prefix):
                    self.faults.remove(fault)
                    return fault
        return None

    def _handle(self, handler: BaseHTTPRequestHandler, method: str) -> None:
        parts = urlsplit(handler.path)
        path, query = parts.path, parse_qs(parts.query, keep_blank_values=True)
        with self._lock:
            self.log.append(("GET", path))
        headers, allowed = self._rate_limit_headers()
        credentials = base64.b64encode(f"{EMAIL}/token:{TOKEN}".encode()).decode()
        if handler.headers.get("Authorization") != f"Basic {credentials}":
            return self._send(handler, 401, _ERROR_401, headers)
        if not allowed:
            with self._lock:
                self.too_many_requests += 1
            return self._too_many_requests(handler, headers["ratelimit-reset"], headers)
        fault = self._next_fault(path)
        if fault:
            if fault.kind == "timeout":
                time.sleep(self.hang_seconds)
            elif fault.kind == "garbage":
                return self._send_raw(handler, 200, b"<html>502 Bad Gateway</html>", headers, "text/html")
            elif fault.kind == "401":
                return self._send(handler, 401, _ERROR_401, headers)
            elif fault.kind == "429":
                # Made-up counts would mislead the client: a 429 fault says only when to come back.
                reset = {"ratelimit-reset": fault.reset} if fault.reset else {}
                return self._too_many_requests(handler, fault.retry_after, reset)
            elif fault.kind.isdigit():
                fault_status = HTTPStatus(int(fault.kind))
                if fault.retry_after:
                    headers = {**headers, "Retry-After": fault.retry_after}
                return self._send(handler, fault_status, {"error": fault_status.phrase.replace(" ", "")}, headers)
        status, payload = self._route(path, query, fault)
        return self._send(handler, status, payload, headers)

    def _route(self, path: str, query: dict[str, list[str]], fault: Fault | None) -> tuple[int, Any]:
        if path == "/api/v2/users/me.json":
            return 200, _ANONYMOUS_ME if fault and fault.kind == "anonymous" else {"user": self.me}
        if path == "/api/v2/groups.json":
            return 200, self._list_page(path, query, "groups", self.groups)
        if path == "/api/v2/group_memberships.json":
            return 200, self._list_page(path, query, "group_memberships", self.memberships)
        if path == "/api/v2/users.json":
            roles = set(query.get("role[]", [])) or {"end-user", "agent", "admin"}
            users = [item for item in self.users.values() if item["role"] in roles]
            return 200, self._list_page(path, query, "users", users)
        if path == EXPORT_PATH:
            return self._export(query, fault)
        match = _COMMENTS_PATH.match(path)
        if match:
            found = self.tickets.get(match.group(1))
            if found is None or found["status"] == "deleted":
                return 404, {"error": "RecordNotFound", "description": "Not found"}
            comments = self.comments[match.group(1)]
            page = self._list_page(path, query, "comments", comments, default_per_page=self.comments_per_page)
            if query.get("include") == ["users"]:
                authors = dict.fromkeys(str(item["author_id"]) for item in page["comments"])
                page["users"] = [self.users[author] for author in authors if author in self.users]
            if fault and fault.kind == "malformed-comments":
                page["comments"] = None
            return 200, page
        return 404, {"error": "InvalidEndpoint", "description": "Not found"}

    def _list_page(
        self, path: str, query: dict[str, list[str]], key: str, items: list[dict], default_per_page: int = 100
    ) -> dict:
        """Cursor pagination when page[size] is given, offset pagination otherwise, as the reference says."""
        items = copy.deepcopy(items)
        if "page[size]" in query:
            size = min(int(query["page[size]"][0]), self.max_page_size)
            offset = _decode(query["page[after]"][0])["offset"] if "page[after]" in query else 0
            after = _encode({"offset": offset + size})
            before = _encode({"offset": max(offset - size, 0)})
            link = {name: values for name, values in query.items() if not name.startswith("page[")}
            # Zendesk fills in links.next on the last page too; meta.has_more is what says there is more.
            return {
                key: items[offset : offset + size],
                "meta": {"has_more": offset + size < len(items), "after_cursor": after, "before_cursor": before},
                "links": {
                    "next": f"{self.url}{path}?{urlencode({**link, 'page[size]': size, 'page[after]': after}, True)}",
                    "prev": f"{self.url}{path}?{urlencode({**link, 'page[size]': size, 'page[before]': before}, True)}",
                },
            }
        per_page = min(int(query.get("per_page", [default_per_page])[0]), 100)
        number = int(query.get("page", ["1"])[0])
        rest = {name: values for name, values in query.items() if name != "page"}

        def page_url(page_number: int) -> str:
            return f"{self.url}{path}?{urlencode({**rest, 'page': page_number}, True)}"

        return {
            key: items[(number - 1) * per_page : number * per_page],
            "next_page": page_url(number + 1) if number * per_page < len(items) else None,
            "previous_page": page_url(number - 1) if number > 1 else None,
            "count": len(items),
        }

    def _export(self, query: dict[str, list[str]], fault: Fault | None) -> tuple[int, dict]:
        flat = {name: values[0] for name, values in query.items()}
        with self._lock:
            self.export_queries.append(flat)
        per_page = min(int(flat.get("per_page", 1000)), 1000)
        if "cursor" in flat:
            try:
                state = _decode(flat["cursor"])
                offset, start_time = state["offset"], state["start_time"]
            except (ValueError, KeyError, TypeError):
                return 422, {"error": "InvalidPaginationParameter", "description": "Invalid cursor"}
        elif "start_time" in flat:
            offset, start_time = 0, int(flat["start_time"])
        else:
            return 400, {"error": "InvalidValue", "description": "start_time or cursor is required"}
        matches = sorted(
            (item for item in self.tickets.values() if item["generated_timestamp"] >= start_time),
            key=lambda item: (item["generated_timestamp"], item["id"]),
        )
        tickets = copy.deepcopy(matches[offset : offset + per_page])
        if fault and fault.kind == "malformed-export" and tickets:
            tickets[0] = {"id": tickets[0]["id"], "updated_at": "yesterday"}
        after = _encode({"offset": offset + len(tickets), "start_time": start_time})
        before = _encode({"offset": max(offset - per_page, 0), "start_time": start_time}) if offset else None
        payload = copy.deepcopy(_EXPORT)
        payload.update(
            tickets=tickets,
            after_cursor=after,
            after_url=f"{self.url}{EXPORT_PATH}?cursor={after}",
            before_cursor=before,
            before_url=f"{self.url}{EXPORT_PATH}?cursor={before}" if before else None,
            end_of_stream=offset + per_page >= len(matches),
        )
        return 200, payload

    def _too_many_requests(self, handler, retry_after: str | None, headers: dict[str, str]) -> None:
        if retry_after:
            headers = {**headers, "Retry-After": retry_after}
        # Zendesk's documented 429 body is plain text.
        body = b"Rate limit for ticket updates exceeded, please wait before updating this ticket again"
        self._send_raw(handler, 429, body, headers, "text/html; charset=utf-8")
