"""A local Intercom over real HTTP, answering with the official spec's example shapes.

Used by the connector tests and by bench/sync.py. Faults (429, 5xx, hangs, garbage,
401) are queued per path so a test can say exactly what the helpdesk does.
"""

from __future__ import annotations

import base64
import copy
import json
import math
import threading
import time
from collections import deque
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from conversations.tests.fake_server import LoopbackServer

FIXTURES = Path(__file__).parent / "fixtures" / "intercom"
TOKEN = "dG9rOmZha2UtaW50ZXJjb20tdG9rZW4="


def fixture(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text())


_CONVERSATION = fixture("conversation.json")
_PART = _CONVERSATION["conversation_parts"]["conversation_parts"][0]
_ADMIN = fixture("admins.json")["admins"][0]
_TEAM = fixture("teams.json")["teams"][0]
_ERROR_401 = fixture("error_401.json")


def admin(admin_id: str, name: str, email: str, *, team_ids=(), away: bool = False) -> dict:
    payload = copy.deepcopy(_ADMIN)
    payload.update(id=admin_id, name=name, email=email, team_ids=list(team_ids), away_mode_enabled=away)
    return payload


def team(team_id: str, name: str, admin_ids=()) -> dict:
    payload = copy.deepcopy(_TEAM)
    payload.update(id=team_id, name=name, admin_ids=[int(admin_id) for admin_id in admin_ids])
    return payload


def part(
    part_id: int,
    *,
    author_type: str,
    author_id: str,
    body: str | None,
    created_at: int,
    part_type: str = "comment",
    author_name: str = "",
    from_ai_agent: bool = False,
) -> dict:
    payload = copy.deepcopy(_PART)
    payload.update(
        id=part_id,
        part_type=part_type,
        body=body,
        created_at=created_at,
        updated_at=created_at,
        notified_at=created_at,
        assigned_to=None,
        external_id=None,
        tags=[],
    )
    payload["author"] = {
        "type": author_type,
        "id": author_id,
        "name": author_name or f"{author_type.title()} {author_id}",
        "email": f"{author_type}{author_id}@example.com",
        "from_ai_agent": from_ai_agent,
        "is_ai_answer": False,
    }
    return payload


def conversation(
    conversation_id: str,
    *,
    updated_at: int,
    admin_id: str,
    parts: list[dict],
    created_at: int | None = None,
    team_id: str | None = None,
    customer_body: str = "<p>Hello, I need help with my invoices please, the totals look wrong since Monday.</p>",
    rating: int | None = None,
    remark: str = "",
    tags: tuple[str, ...] = (),
    state: str = "closed",
) -> dict:
    """A conversation as GET /conversations/{id} returns it."""
    created = created_at if created_at is not None else updated_at - 3600
    payload = copy.deepcopy(_CONVERSATION)
    payload.update(
        id=conversation_id,
        created_at=created,
        updated_at=updated_at,
        admin_assignee_id=int(admin_id),
        team_assignee_id=int(team_id) if team_id else 0,
        state=state,
        open=state == "open",
        title=f"Conversation {conversation_id}",
    )
    payload["source"].update(
        id=f"9{conversation_id}",
        delivered_as="customer_initiated",
        body=customer_body,
        author={
            "type": "user",
            "id": f"contact-{conversation_id}",
            "name": "Casey Customer",
            "email": "casey@example.com",
        },
    )
    payload["tags"]["tags"] = [
        {
            "type": "tag",
            "id": str(1000 + index),
            "name": name,
            "applied_at": created,
            "applied_by": {"type": "admin", "id": admin_id},
        }
        for index, name in enumerate(tags)
    ]
    if rating is not None:
        payload["conversation_rating"] = {
            "rating": rating,
            "remark": remark,
            "created_at": updated_at,
            "updated_at": updated_at,
            "contact": {"type": "contact", "id": f"contact-{conversation_id}", "external_id": None},
            "teammate": {"type": "admin", "id": admin_id},
        }
    payload["conversation_parts"] = {
        "type": "conversation_part.list",
        "conversation_parts": parts,
        "total_count": len(parts),
    }
    return payload


def reviewable_conversation(conversation_id: str, *, updated_at: int, admin_id: str, replies: int = 3, **extra) -> dict:
    """A normal back-and-forth: the customer asks, the agent answers several times."""
    parts = []
    for index in range(replies):
        at = updated_at - 600 + index * 60
        parts.append(
            part(
                2 * index + 1,
                author_type="admin",
                author_id=admin_id,
                created_at=at,
                body=f"<p>Thanks for the detail, here is step {index + 1} of the fix.</p>",
            )
        )
        parts.append(
            part(
                2 * index + 2,
                author_type="user",
                author_id=f"contact-{conversation_id}",
                created_at=at + 30,
                body="<p>Okay, that worked, one more question about it.</p>",
            )
        )
    return conversation(conversation_id, updated_at=updated_at, admin_id=admin_id, parts=parts, **extra)


def _search_item(full: dict) -> dict:
    """Search results carry no parts (the spec: parts only come with GET /conversations/{id})."""
    # A shallow copy is enough (the answer is serialised at once, never changed) and
    # deep-copying every part only to drop it made each 150-item page cost ~20 ms.
    return {key: value for key, value in full.items() if key != "conversation_parts"}


def is_listed(full: dict, since: int) -> bool:
    """Whether a search for conversations updated since `since` lists this one."""
    updated_at = _updated_at(full)
    return updated_at is None or updated_at >= since


def _updated_at(full: dict) -> int | None:
    """Where the search sorts a conversation; None (always listed) without a usable updated_at."""
    value = full.get("updated_at")
    return value if isinstance(value, int) and not isinstance(value, bool) else None


@dataclass
class Fault:
    method: str
    path_prefix: str
    kind: str  # "429", "500", "503", "timeout", "garbage", "401", "malformed-search"
    retry_after: str | None = None


class FakeIntercom(LoopbackServer):
    def __init__(
        self,
        *,
        conversations: list[dict] | None = None,
        admins: list[dict] | None = None,
        teams: list[dict] | None = None,
        latency: float = 0.0,
        rate_limit: tuple[int, float] | None = None,
        hang_seconds: float = 2.0,
    ):
        self.conversations: dict[str, dict] = {}
        for item in conversations or []:
            self.put(item)
        self.admins = admins or []
        self.teams = teams or []
        # What GET /me answers (the spec allows null and every field absent).
        self.me: Any = fixture("me.json")
        # Search hits with no conversation behind them (no id, say), put on the first page.
        self.search_extras: list[Any] = []
        self.latency = latency
        self.rate_limit = rate_limit
        self.hang_seconds = hang_seconds
        self.faults: deque[Fault] = deque()
        self.log: list[tuple[str, str]] = []
        # The Intercom-Version header of each request, in order ("" when absent).
        self.api_versions: list[str] = []
        self.search_bodies: list[dict] = []
        # Internal articles created (POST /internal_articles), as the request sent them.
        self.internal_articles: list[dict] = []
        self.too_many_requests = 0
        self._lock = threading.Lock()
        self._window_start = 0.0
        self._window_used = 0

    # --- data and faults ---------------------------------------------------------
    def put(self, full_conversation: dict) -> None:
        self.conversations[str(full_conversation["id"])] = full_conversation

    def clear(self) -> None:
        self.conversations.clear()
        self.search_extras.clear()
        self.log.clear()
        self.api_versions.clear()
        self.me = fixture("me.json")

    def fail(self, method: str, path_prefix: str, kind: str, times: int = 1, retry_after: str | None = None) -> None:
        for _ in range(times):
            self.faults.append(Fault(method, path_prefix, kind, retry_after))

    def count(self, method: str, path_prefix: str) -> int:
        return sum(1 for logged in self.log if logged[0] == method and logged[1].startswith(path_prefix))

    # --- request handling -------------------------------------------------------------
    def _rate_limit_headers(self) -> tuple[dict[str, str], bool]:
        if not self.rate_limit:
            return {}, True
        limit, window = self.rate_limit
        with self._lock:
            now = time.time()
            if now >= self._window_start + window:
                self._window_start, self._window_used = now, 0
            self._window_used += 1
            allowed = self._window_used <= limit
            remaining = max(limit - self._window_used, 0)
            reset = math.ceil(self._window_start + window)
        return {
            "X-RateLimit-Limit": str(limit),
            "X-RateLimit-Remaining": str(remaining),
            "X-RateLimit-Reset": str(reset),
        }, allowed

    def _next_fault(self, method: str, path: str) -> Fault | None:
        with self._lock:
            for fault in self.faults:
                if fault.method == method and path.startswith(fault.path_prefix):
                    self.faults.remove(fault)
                    return fault
        return None

    def _handle(self, handler: BaseHTTPRequestHandler, method: str) -> None:
        path = urlsplit(handler.path).path
        length = int(handler.headers.get("Content-Length") or 0)
        raw_body = handler.rfile.read(length) if length else b""
        with self._lock:
            self.log.append((method, path))
            self.api_versions.append(handler.headers.get("Intercom-Version", ""))
        if self.latency:
            time.sleep(self.latency)
        headers, allowed = self._rate_limit_headers()
        if handler.headers.get("Authorization") != f"Bearer {TOKEN}":
            return self._send(handler, 401, _ERROR_401, headers)
        if not allowed:
            with self._lock:
                self.too_many_requests += 1
            return self._send(
                handler,
                429,
                {"type": "error.list", "errors": [{"code": "rate_limit_exceeded", "message": "Exceeded rate limit"}]},
                headers,
            )
        fault = self._next_fault(method, path)
        if fault:
            if fault.kind == "timeout":
                time.sleep(self.hang_seconds)
            elif fault.kind == "garbage":
                return self._send_raw(handler, 200, b"<html>502 Bad Gateway</html>", headers, "text/html")
            elif fault.kind == "401":
                return self._send(handler, 401, _ERROR_401, headers)
            elif fault.kind == "429":
                if fault.retry_after:
                    headers["Retry-After"] = fault.retry_after
                return self._send(
                    handler,
                    429,
                    {
                        "type": "error.list",
                        "errors": [{"code": "rate_limit_exceeded", "message": "Exceeded rate limit"}],
                    },
                    headers,
                )
            elif fault.kind.isdigit():
                return self._send(
                    handler,
                    int(fault.kind),
                    {"type": "error.list", "errors": [{"code": "server_error", "message": "Server error"}]},
                    headers,
                )
        if method == "GET" and path == "/me":
            return self._send(handler, 200, self.me, headers)
        if method == "GET" and path == "/admins":
            return self._send(handler, 200, {"type": "admin.list", "admins": self.admins}, headers)
        if method == "GET" and path == "/teams":
            return self._send(handler, 200, {"type": "team.list", "teams": self.teams}, headers)
        if method == "POST" and path == "/internal_articles":
            return self._internal_article(json.loads(raw_body or b"{}"), handler, headers)
        if method == "POST" and path == "/conversations/search":
            return self._send(handler, 200, self._search(json.loads(raw_body or b"{}"), fault), headers)
        if method == "GET" and path.startswith("/conversations/"):
            found = self.conversations.get(path.rsplit("/", 1)[-1])
            if found is None:
                return self._send(
                    handler,
                    404,
                    {"type": "error.list", "errors": [{"code": "not_found", "message": "Resource Not Found"}]},
                    headers,
                )
            return self._send(handler, 200, found, headers)
        return self._send(handler, 404, {"type": "error.list", "errors": [{"code": "not_found"}]}, headers)

    def _internal_article(self, body: dict, handler: BaseHTTPRequestHandler, headers: dict[str, str]) -> None:
        """The 2.16 description's createInternalArticle: its 400 when the author is missing,
        else the created article as its 200 example shows it."""
        if not isinstance(body.get("author_id"), int) or not body.get("title"):
            return self._send(
                handler,
                400,
                {
                    "type": "error.list",
                    "request_id": "e522ca8a-cd15-404e-84b3-7f7536003d4a",
                    "errors": [
                        {
                            "code": "parameter_not_found",
                            "message": "author_id must be in the main body or default locale translated_content object",
                        }
                    ],
                },
                headers,
            )
        with self._lock:
            self.internal_articles.append(body)
            article_id = str(41 + len(self.internal_articles))
        created = {
            "id": article_id,
            "title": body["title"],
            "body": body.get("body", ""),
            "owner_id": body.get("owner_id", body["author_id"]),
            "author_id": body["author_id"],
            "locale": "en",
        }
        return self._send(handler, 200, created, headers)

    def _search(self, body: dict, fault: Fault | None) -> dict:
        with self._lock:
            self.search_bodies.append(body)
        query = body.get("query", {})
        since = int(query.get("value", 0)) if query.get("field") == "updated_at" else 0
        pagination = body.get("pagination") or {}
        per_page = min(int(pagination.get("per_page", 20)), 150)
        offset = 0
        if pagination.get("starting_after"):
            offset = json.loads(base64.urlsafe_b64decode(pagination["starting_after"]))["offset"]
        matches = sorted(
            (c for c in self.conversations.values() if is_listed(c, since)),
            key=lambda c: (_updated_at(c) or 0, str(c["id"])),
        )
        chunk = matches[offset : offset + per_page]
        items = [_search_item(c) for c in chunk]
        if offset == 0:
            items.extend(self.search_extras)
        if fault and fault.kind == "malformed-search" and items:
            items[0] = {"type": "conversation", "id": items[0]["id"], "updated_at": "yesterday"}
        total_pages = max(math.ceil(len(matches) / per_page), 1)
        pages: dict[str, Any] = {
            "type": "pages",
            "page": offset // per_page + 1,
            "per_page": per_page,
            "total_pages": total_pages,
        }
        if offset + per_page < len(matches):
            cursor = base64.urlsafe_b64encode(json.dumps({"offset": offset + per_page}).encode()).decode()
            pages["next"] = {"page": offset // per_page + 2, "starting_after": cursor}
        return {"type": "conversation.list", "pages": pages, "total_count": len(matches), "conversations": items}
