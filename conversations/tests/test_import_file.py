"""File import: the documented JSON and CSV formats, through the same sync as the connectors."""

import json
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from conversations.models import Agent, AuthorKind, Conversation, ExclusionReason, SyncRun, Team

pytestmark = pytest.mark.django_db

FIXTURES = Path(__file__).parent / "fixtures" / "files"
DEMO = Path(__file__).resolve().parents[2] / "demo" / "conversations.json"


def document(*conversations, agents=None):
    return {
        "format": "carousel.conversations/v1",
        "teams": [{"id": "billing", "name": "Billing"}],
        "agents": agents or [{"id": "a1", "name": "Maya Patel", "email": "maya@example.com", "team": "billing"}],
        "conversations": list(conversations),
    }


def conversation(conversation_id="c1", *, updated_at="2026-11-18T10:00:00Z", **extra):
    item = {
        "id": conversation_id,
        "created_at": "2026-11-18T09:00:00Z",
        "updated_at": updated_at,
        "assignee": "a1",
        "messages": [
            {
                "id": "1",
                "author": "customer",
                "name": "Jo",
                "created_at": "2026-11-18T09:00:00Z",
                "body": "<p>My invoice total is wrong since the VAT change, can you check what happened?</p>",
            },
            {
                "id": "2",
                "author": "agent",
                "agent": "a1",
                "created_at": "2026-11-18T09:10:00Z",
                "body": "<p>Checking now.</p>",
            },
            {
                "id": "3",
                "author": "customer",
                "name": "Jo",
                "created_at": "2026-11-18T09:12:00Z",
                "body": "<p>Thanks.</p>",
            },
            {
                "id": "4",
                "author": "agent",
                "agent": "a1",
                "created_at": "2026-11-18T09:20:00Z",
                "body": "<p>Fixed: the rate was 19%, now 20%.</p>",
            },
        ],
    }
    item.update(extra)
    return item


def write(tmp_path, payload, name="export.json"):
    path = tmp_path / name
    path.write_text(json.dumps(payload) if not isinstance(payload, str) else payload)
    return path


def test_a_json_file_is_imported_with_agents_teams_and_messages(tmp_path):
    path = write(tmp_path, document(conversation(csat={"rating": 2, "remark": "slow"}, tags=["vat"])))

    call_command("import_conversations", str(path))

    stored = Conversation.objects.get(source="file", external_id="c1")
    assert stored.assignee == Agent.objects.get(email="maya@example.com")
    assert stored.team == Team.objects.get(name="Billing")
    assert (stored.csat_rating, stored.csat_remark, stored.tags) == (2, "slow", ["vat"])
    assert stored.exclusion_reason == ""
    assert list(stored.messages.values_list("author_kind", flat=True)) == ["customer", "agent", "customer", "agent"]


def test_importing_the_same_file_twice_changes_nothing_and_an_edit_updates(tmp_path):
    path = write(tmp_path, document(conversation()))
    call_command("import_conversations", str(path))
    call_command("import_conversations", str(path))
    assert Conversation.objects.count() == 1
    assert SyncRun.objects.first().unchanged == 1

    write(tmp_path, document(conversation(updated_at="2026-11-19T10:00:00Z", csat={"rating": 5})))
    call_command("import_conversations", str(path))

    latest = SyncRun.objects.first()
    assert (latest.created, latest.updated) == (0, 1)
    assert Conversation.objects.get().csat_rating == 5


def test_a_bad_conversation_is_reported_and_the_rest_imported(tmp_path, capsys):
    bad = conversation("c2")
    bad["messages"][0]["author"] = "martian"
    worse = conversation("c3", csat={"rating": 9})
    path = write(tmp_path, document(conversation(), bad, worse))

    call_command("import_conversations", str(path))

    assert list(Conversation.objects.values_list("external_id", flat=True)) == ["c1"]
    run = SyncRun.objects.get()
    assert run.errors == 2
    err = capsys.readouterr().err
    assert "c2: Conversation skipped: message 1 has unknown author 'martian'." in err
    assert "c3: Conversation skipped: its CSAT rating 9 is not 1 to 5." in err


def test_a_file_that_is_not_an_import_file_fails_with_a_clear_message(tmp_path):
    with pytest.raises(CommandError, match="is not valid JSON"):
        call_command("import_conversations", str(write(tmp_path, "{not json")))
    with pytest.raises(CommandError, match="is not a Carousel import file"):
        call_command("import_conversations", str(write(tmp_path, {"conversations": []})))
    with pytest.raises(CommandError, match="There is no import file"):
        call_command("import_conversations", str(tmp_path / "missing.json"))
    assert Conversation.objects.count() == 0


def test_a_csv_export_is_imported_one_row_per_message():
    call_command("import_conversations", str(FIXTURES / "small.csv"))

    kept = Conversation.objects.get(external_id="9001")
    assert kept.assignee.email == "ana@example.com"
    assert kept.team.name == "Support"
    assert (kept.csat_rating, kept.tags, kept.exclusion_reason) == (4, ["export", "vat"], "")
    assert kept.messages.filter(author_kind=AuthorKind.NOTE).get().author_agent == kept.assignee
    assert kept.closed_at.isoformat() == "2026-11-18T09:13:00+00:00"
    assert 'tick "Include tax columns"' in kept.messages.get(external_id="2").body_text
    spam = Conversation.objects.get(external_id="9002")
    assert spam.exclusion_reason == ExclusionReason.SPAM_TAG


def test_the_demo_file_imports_cleanly_with_every_kind_of_exclusion():
    call_command("import_conversations", str(DEMO), "--rebase-dates")

    run = SyncRun.objects.get()
    assert run.status == SyncRun.Status.SUCCEEDED
    assert run.errors == 0
    assert set(run.excluded_counts) == {"short", "spam_tag", "spam_flagged", "bot_only"}
    assert run.kept >= 40
    assert Agent.objects.filter(team__isnull=False).count() == 8
