"""Short and spam conversations are stored with their reason and never count as kept."""

import json

import pytest
from django.core.management import call_command

from conversations.models import Conversation, ExclusionReason, SyncRun

pytestmark = pytest.mark.django_db

WORDS_20 = " ".join(["word"] * 20)


def message(number, author, body, agent=None):
    item = {"id": str(number), "author": author, "created_at": f"2026-11-18T09:{number:02d}:00Z", "body": body}
    if agent:
        item["agent"] = agent
    return item


def conversation(conversation_id, messages, **extra):
    return {
        "id": conversation_id,
        "created_at": "2026-11-18T09:00:00Z",
        "updated_at": "2026-11-18T10:00:00Z",
        "assignee": "a1",
        "messages": messages,
        **extra,
    }


def normal_messages():
    return [
        message(1, "customer", WORDS_20),
        message(2, "agent", "reply one", agent="a1"),
        message(3, "customer", "thanks"),
        message(4, "agent", "reply two", agent="a1"),
    ]


def import_conversations(tmp_path, *conversations):
    path = tmp_path / "import.json"
    path.write_text(
        json.dumps(
            {
                "format": "carousel.conversations/v1",
                "agents": [{"id": "a1", "name": "Maya", "email": "maya@example.com"}],
                "conversations": list(conversations),
            }
        )
    )
    call_command("import_conversations", str(path))
    return SyncRun.objects.first()


def reason(external_id):
    return Conversation.objects.get(external_id=external_id).exclusion_reason


def test_each_rule_stores_its_reason_and_the_run_counts_them(tmp_path):
    run = import_conversations(
        tmp_path,
        conversation("kept", normal_messages()),
        conversation("one-reply", [message(1, "customer", WORDS_20), message(2, "agent", "done", agent="a1")]),
        conversation("few-words", [message(1, "customer", "it broke"), *normal_messages()[1:]]),
        conversation("no-customer", [message(2, "agent", "hi", agent="a1"), message(4, "agent", "bye", agent="a1")]),
        conversation("tagged", normal_messages(), tags=["billing", "spam"]),
        conversation("flagged", normal_messages(), spam=True),
        conversation("bot-only", [message(1, "customer", WORDS_20), message(2, "bot", "Try our help centre")]),
        conversation(
            "notes-only",
            [message(1, "customer", WORDS_20), message(2, "note", "ignore", agent="a1"), message(3, "bot", "bye")],
        ),
    )

    assert reason("kept") == ""
    assert reason("one-reply") == ExclusionReason.SHORT
    assert reason("few-words") == ExclusionReason.SHORT
    assert reason("no-customer") == ExclusionReason.SHORT
    assert reason("tagged") == ExclusionReason.SPAM_TAG
    assert reason("flagged") == ExclusionReason.SPAM_FLAGGED
    assert reason("bot-only") == ExclusionReason.BOT_ONLY
    assert reason("notes-only") == ExclusionReason.BOT_ONLY
    assert run.kept == 1
    assert run.excluded_counts == {"short": 3, "spam_tag": 1, "spam_flagged": 1, "bot_only": 2}
    assert list(Conversation.objects.reviewable().values_list("external_id", flat=True)) == ["kept"]


def test_the_thresholds_come_from_settings(tmp_path, settings):
    settings.SYNC_MIN_AGENT_REPLIES = 1
    settings.SYNC_MIN_CUSTOMER_WORDS = 2
    settings.SYNC_SPAM_TAGS = ["junk"]

    import_conversations(
        tmp_path,
        conversation("one-reply", [message(1, "customer", "it broke"), message(2, "agent", "fixed", agent="a1")]),
        conversation("tagged-spam", normal_messages(), tags=["Spam"]),
        conversation("tagged-junk", normal_messages(), tags=["JUNK"]),
    )

    assert reason("one-reply") == ""
    assert reason("tagged-spam") == ""
    assert reason("tagged-junk") == ExclusionReason.SPAM_TAG


def test_a_conversation_that_grows_past_the_threshold_becomes_reviewable(tmp_path):
    short = conversation("growing", normal_messages()[:2])
    import_conversations(tmp_path, short)
    assert reason("growing") == ExclusionReason.SHORT

    import_conversations(tmp_path, conversation("growing", normal_messages(), updated_at="2026-11-18T11:00:00Z"))

    assert reason("growing") == ""
