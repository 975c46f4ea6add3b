"""Property-based: whatever the 2.16 description (or the import format) allows, the sync keeps its promises.

Hypothesis builds conversations with optional fields absent or null, odd author types,
attachments, duplicate part ids and huge numbers; they are served over real HTTP (or
written to a file) and synced twice, then once more in full. Whatever came in: no run
fails, every conversation with an id is stored or listed as a skipped record, and the
later runs lose, change and duplicate nothing.
"""

import json
import os
from datetime import UTC, datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conversations.helpdesks.files import FileHelpdesk
from conversations.models import Agent, Conversation, Message, SyncCursor, SyncProblem, SyncRun, Team
from conversations.services import conversations_sync
from conversations.tests import fake_intercom as fake

pytestmark = pytest.mark.django_db

BASE = int(datetime(2026, 11, 20, 9, 0, tzinfo=UTC).timestamp())
EPOCH = datetime(1970, 1, 1, 0, 0, 1, tzinfo=UTC)
ABSENT = object()  # the key is left out altogether
EXAMPLES = settings(
    max_examples=int(os.environ.get("HYPOTHESIS_EXAMPLES", 40)),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large],
)


def maybe(strategy):
    """Absent, null, or a value: what "optional" and "nullable" allow."""
    return st.one_of(strategy, strategy, st.just(ABSENT), st.none())


def often(strategy):
    """Usually a value (nine times in ten), else absent or null."""
    return st.integers(0, 9).flatmap(lambda roll: strategy if roll else st.sampled_from([ABSENT, None]))


def odd_value():
    """What no field should hold: huge or negative numbers, the wrong type."""
    return st.one_of(
        st.integers(-(2**63), 2**63), st.floats(allow_nan=False), st.booleans(), st.text(max_size=8), st.just([])
    )


def unix_time():
    return st.integers(BASE - 86_400 * 30, BASE + 86_400)


def text():
    return st.one_of(
        st.text(max_size=40),
        st.text(min_size=1, max_size=40),
        st.sampled_from(["<p>Hi <b>there</b></p>", "<script>x()</script>"]),
    )


def build(value):
    """The payload as JSON would carry it: every ABSENT key left out, at any depth."""
    if isinstance(value, dict):
        return {key: build(item) for key, item in value.items() if item is not ABSENT}
    if isinstance(value, list):
        return [build(item) for item in value if item is not ABSENT]
    return value


@st.composite
def corrupted(draw, payload: dict) -> dict:
    """One conversation in four gets one field, somewhere in it, set to an odd value."""
    if draw(st.integers(0, 3)):
        return payload
    places = []

    def walk(node):
        if isinstance(node, dict):
            places.extend((node, key) for key in node if key not in ("id", "type"))
            for item in node.values():
                walk(item)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(payload)
    if places:
        node, key = draw(st.sampled_from(places))
        node[key] = draw(odd_value())
    return payload


attachment = st.fixed_dictionaries(
    {},
    optional={
        "type": st.just("upload"),
        "name": maybe(text()),
        "url": maybe(st.sampled_from(["https://files.example.com/a.png", "javascript:alert(1)", "ftp://x/y", ""])),
        "content_type": maybe(st.sampled_from(["image/png", "application/pdf"])),
        "filesize": maybe(st.integers(0, 2**40)),
    },
)
author = st.fixed_dictionaries(
    {},
    optional={
        "type": maybe(st.sampled_from(["user", "lead", "contact", "admin", "bot", "team", "martian"])),
        "id": maybe(st.one_of(st.sampled_from(["101", "102", "c-1"]), st.integers(0, 10**12))),
        "name": maybe(text()),
        "from_ai_agent": maybe(st.booleans()),
    },
)
part = st.fixed_dictionaries(
    {},
    optional={
        "type": st.just("conversation_part"),
        # Few ids, so parts often share one.
        "id": maybe(st.one_of(st.sampled_from(["1", "2"]), st.integers(1, 2))),
        "part_type": maybe(st.sampled_from(["comment", "note", "assignment", "close", "open", "weird"])),
        "body": often(text()),
        "created_at": often(unix_time()),
        "author": often(author),
        "attachments": maybe(st.lists(attachment, max_size=2)),
    },
)


@st.composite
def intercom_conversation(draw, external_id: str) -> dict:
    parts = draw(maybe(st.lists(part, max_size=6)))
    fields = {
        "type": "conversation",
        "id": external_id,
        "title": draw(maybe(text())),
        "created_at": draw(often(unix_time())),
        "updated_at": draw(often(st.integers(BASE, BASE + 86_400))),
        "state": draw(maybe(st.sampled_from(["open", "closed", "snoozed"]))),
        "open": draw(maybe(st.booleans())),
        "admin_assignee_id": draw(maybe(st.sampled_from([101, "102", 0]))),
        "team_assignee_id": draw(maybe(st.sampled_from([700, "700", 0]))),
        "source": draw(often(st.fixed_dictionaries({}, optional={"body": often(text()), "author": often(author)}))),
        "tags": draw(
            maybe(
                st.fixed_dictionaries({"tags": st.lists(st.fixed_dictionaries({}, optional={"name": maybe(text())}))})
            )
        ),
        "conversation_rating": draw(
            maybe(st.fixed_dictionaries({}, optional={"rating": maybe(st.integers(1, 5)), "remark": maybe(text())}))
        ),
        "statistics": draw(maybe(st.fixed_dictionaries({}, optional={"last_close_at": maybe(unix_time())}))),
        "conversation_parts": ABSENT
        if parts is ABSENT
        else {
            "type": "conversation_part.list",
            "conversation_parts": parts,
            "total_count": draw(maybe(st.integers(0, 800))),
        },
    }
    return draw(corrupted(build(fields)))


def database_clear():
    for model in (SyncProblem, SyncRun, Message, Conversation, SyncCursor, Agent, Team):
        model.objects.all().delete()


def stored_snapshot() -> dict:
    return {
        conversation.external_id: (
            conversation.subject,
            conversation.updated_at,
            sorted(conversation.messages.values_list("external_id", flat=True)),
        )
        for conversation in Conversation.objects.all()
    }


def assert_every_id_stored_or_explained(ids, run):
    stored = set(Conversation.objects.values_list("external_id", flat=True))
    explained = set(run.problems.filter(skipped=True).values_list("external_id", flat=True))
    assert set(ids) <= stored | explained
    assert not stored & explained


@EXAMPLES
@given(data=st.data(), how_many=st.integers(1, 6))
def test_any_conversations_the_description_allows_sync_twice_without_loss(
    fake_intercom, intercom_client, data, how_many
):
    database_clear()
    fake_intercom.clear()
    fake_intercom.teams = [fake.team("700", "Billing")]
    fake_intercom.admins = [fake.admin("101", "Maya Patel", "maya@ledgerly.example", team_ids=[700])]
    payloads = [data.draw(intercom_conversation(str(6000 + index))) for index in range(how_many)]
    for payload in payloads:
        fake_intercom.put(payload)
    # Searched from the first second of 1970: Intercom's search leaves out anything updated
    # before that, and so does the fake.
    ids = [payload["id"] for payload in payloads if fake.is_listed(payload, int(EPOCH.timestamp()))]

    first = conversations_sync(source="intercom", since=EPOCH, helpdesk=intercom_client(page_size=150))
    after_first = stored_snapshot()
    second = conversations_sync(source="intercom", since=EPOCH, helpdesk=intercom_client(page_size=150))
    after_second = stored_snapshot()
    # A full sync stores every equal version again: the same conversations, times and messages.
    third = conversations_sync(source="intercom", full=True, helpdesk=intercom_client(page_size=150))

    statuses = {first.status, second.status, third.status}
    assert statuses == {SyncRun.Status.SUCCEEDED}, (first.error_text, second.error_text, third.error_text)
    assert_every_id_stored_or_explained(ids, first)
    assert after_second == after_first
    assert (second.created, second.updated) == (0, 0)
    assert stored_snapshot() == after_first


file_message = st.fixed_dictionaries(
    {"created_at": st.sampled_from(["2026-11-18T09:00:00Z", "2026-11-18T09:05:00+01:00"])},
    optional={
        "id": maybe(st.sampled_from(["1", "2", 3])),
        "author": st.sampled_from(["customer", "agent", "bot", "note", "martian"]),
        "agent": maybe(st.sampled_from(["a1", "nobody"])),
        "body": maybe(text()),
        "attachments": maybe(st.lists(attachment, max_size=2)),
    },
)


@st.composite
def file_conversation(draw, external_id) -> dict:
    fields = {
        "id": external_id,
        "created_at": draw(st.sampled_from(["2026-11-18T09:00:00Z", "9999-12-31T00:00:00Z", "2026-11-18"])),
        "updated_at": draw(st.sampled_from(["2026-11-18T10:00:00Z", "2026-11-18T11:00:00+00:00"])),
        "subject": draw(maybe(text())),
        "assignee": draw(maybe(st.sampled_from(["a1", "nobody"]))),
        "tags": draw(maybe(st.lists(text(), max_size=3))),
        "csat": draw(maybe(st.fixed_dictionaries({}, optional={"rating": maybe(st.integers(1, 5))}))),
        "url": draw(maybe(st.sampled_from(["https://help.example.com/t/1", "javascript:alert(1)", "//x"]))),
        "spam": draw(maybe(st.booleans())),
        "messages": draw(maybe(st.lists(file_message, max_size=5))),
    }
    return draw(corrupted(build(fields)))


@EXAMPLES
@given(data=st.data(), ids=st.lists(st.sampled_from(["c1", "c2", "c3", "c4", 5, ""]), min_size=1, max_size=6))
def test_any_import_file_imports_twice_without_loss(tmp_path, data, ids):
    database_clear()
    document = {
        "format": "carousel.conversations/v1",
        "teams": [{"id": "billing", "name": "Billing"}],
        "agents": [{"id": "a1", "name": "Maya Patel", "email": "maya@example.com", "team": "billing"}],
        "conversations": [data.draw(file_conversation(external_id)) for external_id in ids],
    }
    path = tmp_path / "export.json"
    path.write_text(json.dumps(document))

    first = conversations_sync(source="file", helpdesk=FileHelpdesk.from_path(path))
    after_first = stored_snapshot()
    second = conversations_sync(source="file", helpdesk=FileHelpdesk.from_path(path))
    after_second = stored_snapshot()
    third = conversations_sync(source="file", full=True, helpdesk=FileHelpdesk.from_path(path))

    statuses = {first.status, second.status, third.status}
    assert statuses == {SyncRun.Status.SUCCEEDED}, (first.error_text, second.error_text, third.error_text)
    assert_every_id_stored_or_explained([str(external_id) for external_id in ids if external_id != ""], first)
    assert after_second == after_first
    assert (second.created, second.updated) == (0, 0)
    assert stored_snapshot() == after_first
    # An id used twice in the file is never stored: neither copy is more likely right.
    repeated = {str(external_id) for external_id in ids if ids.count(external_id) > 1}
    assert not repeated & set(Conversation.objects.values_list("external_id", flat=True))
