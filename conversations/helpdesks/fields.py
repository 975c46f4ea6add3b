"""Reading vendor payloads field by field: absent or null is fine, a wrong type is not.

Every connector maps JSON it does not control. These helpers give each optional field a
default when it is missing or null, and raise `RecordError` (with a sentence a lead can
read) when it holds something of the wrong kind, so a record is skipped rather than
coerced into nonsense: a string of tags is not a list of characters, and `true` is not a
rating of 1.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from .records import AttachmentRecord

# Times outside these bounds are corrupt data, not conversations: a Unix time in
# milliseconds, a year-9999 sentinel, a negative number.
EARLIEST = datetime(1990, 1, 1, tzinfo=UTC)
LATEST = datetime(2100, 1, 1, tzinfo=UTC)
EXCERPT_CHARS = 500


class RecordError(ValueError):
    """A record that cannot be read; the message says why, in plain words."""


def kind(value: Any) -> str:
    if isinstance(value, bool):
        return f"true/false ({json.dumps(value)})"
    if isinstance(value, int | float):
        return f"a number ({value!r})"
    if isinstance(value, str):
        return f"text ({value[:40]!r})"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


def excerpt(payload: Any) -> str:
    try:
        return json.dumps(payload, default=str)[:EXCERPT_CHARS]
    except (TypeError, ValueError, RecursionError):
        return repr(payload)[:EXCERPT_CHARS]


def objects(payload: Any, key: str) -> list[dict[str, Any]]:
    """An optional list of objects; [] when absent or null."""
    entries = items(payload, key)
    for entry in entries:
        if not isinstance(entry, dict):
            raise RecordError(f"'{key}' should hold objects, got {kind(entry)}")
    return entries


def mapping(payload: Any, key: str) -> dict[str, Any]:
    """An optional nested object; {} when absent or null."""
    value = payload.get(key)
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise RecordError(f"'{key}' should be an object, got {kind(value)}")
    return value


def items(payload: Any, key: str) -> list[Any]:
    """An optional list; [] when absent or null."""
    value = payload.get(key)
    if value is None:
        return []
    if not isinstance(value, list):
        raise RecordError(f"'{key}' should be a list, got {kind(value)}")
    return value


def text(payload: Any, key: str) -> str:
    value = payload.get(key)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise RecordError(f"'{key}' should be text, got {kind(value)}")
    return value


def flag(payload: Any, key: str, default: bool = False) -> bool:
    value = payload.get(key)
    if value is None:
        return default
    if not isinstance(value, bool):
        raise RecordError(f"'{key}' should be true or false, got {kind(value)}")
    return value


def whole_number(payload: Any, key: str) -> int | None:
    value = payload.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise RecordError(f"'{key}' should be a whole number, got {kind(value)}")
    return value


def count(payload: Any, key: str, warnings: list[str]) -> int | None:
    """A count the conversation can be stored without: one that is not a whole number of zero
    or more is left out, with a warning, rather than costing the conversation."""
    value = payload.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        warnings.append(f"Its '{key}' was left out: {kind(value)} is not a count.")
        return None
    return value


def identifier(payload: Any, key: str = "id") -> str:
    """An id given as text or as a number (Intercom documents strings and sends integers)."""
    value = payload.get(key)
    if value is None or value == "" or value == 0:
        return ""
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise RecordError(f"'{key}' should be an id, got {kind(value)}")
    # PostgreSQL refuses NUL in text, even in a query's parameters.
    return str(value).replace("\x00", "")


def required_id(payload: Any) -> str:
    if not isinstance(payload, dict):
        raise RecordError(f"expected an object, got {kind(payload)}")
    external_id = identifier(payload)
    if not external_id:
        raise RecordError("it has no id")
    return external_id


def id_or_blank(entry: Any) -> str:
    """A record's id for a problem report, or "" when it has no readable one."""
    try:
        return identifier(entry) if isinstance(entry, dict) else ""
    except RecordError:
        return ""


def attachments(
    part: Any, key: str = "attachments", *, name: str = "name", url: str = "url", size: str = "filesize"
) -> tuple[AttachmentRecord, ...]:
    """A message's files, each vendor naming the fields its own way; entries without a URL are no file."""
    found = []
    for entry in objects(part, key):
        link = text(entry, url)
        if link:
            found.append(
                AttachmentRecord(
                    name=text(entry, name) or link.rsplit("/", 1)[-1],
                    url=link,
                    content_type=text(entry, "content_type"),
                    size=whole_number(entry, size),
                )
            )
    return tuple(found)


def in_range(when: datetime, key: str) -> datetime:
    if not EARLIEST <= when < LATEST:
        raise RecordError(f"'{key}' is out of range ({when:%Y-%m-%d}): not a real conversation time")
    return when


def unix_time(payload: Any, key: str) -> datetime | None:
    value = payload.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise RecordError(f"'{key}' should be a Unix time, got {kind(value)}")
    try:
        when = datetime.fromtimestamp(value, tz=UTC)
    except (OverflowError, OSError, ValueError) as exc:
        raise RecordError(f"'{key}' is out of range ({value!r}): not a real conversation time") from exc
    return in_range(when, key)


def iso_time(payload: Any, key: str) -> datetime | None:
    value = payload.get(key)
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise RecordError(f"'{key}' should be an ISO 8601 time, got {kind(value)}")
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError as exc:
        raise RecordError(f"'{key}' is not an ISO 8601 time ({value[:40]!r})") from exc
    if parsed.tzinfo is None:
        raise RecordError(f"'{key}' ({value[:40]!r}) has no UTC offset")
    return in_range(parsed, key)


def times_settle(
    created_at: datetime | None, updated_at: datetime | None, message_times: list[datetime]
) -> tuple[datetime, datetime, list[str]]:
    """A conversation's creation and update times, filled in from its messages when missing."""
    warnings = []
    if created_at is None:
        if message_times:
            created_at, used = min(message_times), "its first message's"
        elif updated_at is not None:
            created_at, used = updated_at, "its update time"
        else:
            raise RecordError("it has no times at all (no creation, update or message time)")
        warnings.append(f"It had no creation time; {used} was used.")
    if updated_at is None:
        updated_at = max([*message_times, created_at])
        used = "its last message's" if message_times else "its creation time"
        warnings.append(f"It had no update time; {used} was used.")
    return created_at, updated_at, warnings


def web_link(value: str) -> str:
    """The link if it is http(s), its scheme in lower case; "" otherwise (javascript:, data:, relative)."""
    value = value.strip()
    # urlsplit quietly drops tabs and newlines ("ht\ttp:"); a browser would too. Refuse them.
    if any(ord(character) < 0x21 or ord(character) == 0x7F for character in value):
        return ""
    try:
        parts = urlsplit(value)
    except ValueError:
        return ""
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return ""
    return parts.scheme.lower() + value[len(parts.scheme) :]


DERIVED_PREFIX = "derived-"


def derived_id(*parts: Any) -> str:
    """A stable id for a message the helpdesk gave none: the same message gets the same id.

    Two identical messages (same author, time and words) get the same one; the store numbers
    the repeats, so the first stays the first on every sync.
    """
    digest = hashlib.sha256(json.dumps(parts, default=str, sort_keys=True).encode()).hexdigest()
    return f"{DERIVED_PREFIX}{digest[:20]}"
