"""File import: the documented JSON and CSV formats, through the same sync as the connectors."""

import json
from datetime import UTC, date, datetime
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


def test_an_agents_start_date_is_imported_and_a_bad_one_costs_nothing(tmp_path):
    agents = [
        {"id": "a1", "name": "Maya Patel", "email": "maya@example.com", "team": "billing", "started_on": "2026-11-02"},
        {"id": "a2", "name": "John Smith", "email": "john@example.com", "team": "billing", "started_on": "soon"},
    ]
    path = write(tmp_path, document(conversation(), agents=agents))

    call_command("import_conversations", str(path))

    assert Agent.objects.get(email="maya@example.com").started_on == date(2026, 11, 2)
    assert Agent.objects.get(email="john@example.com").started_on is None


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


def test_a_csv_that_is_not_utf8_fails_with_a_clear_message_and_stores_nothing(tmp_path):
    path = tmp_path / "export.csv"
    path.write_bytes((FIXTURES / "small.csv").read_text().replace("Rui Silva", "Jos\u00e9 Silva").encode("cp1252"))

    with pytest.raises(CommandError) as raised:
        call_command("import_conversations", str(path))

    assert str(raised.value).startswith("export.csv is not UTF-8 text (byte 0xe9 at position")
    assert 'Save it as "CSV UTF-8" and import it again; nothing was imported.' in str(raised.value)
    assert Conversation.objects.count() == 0


def test_json_nested_too_deeply_fails_with_a_clear_message(tmp_path):
    path = write(tmp_path, '{"format": "carousel.conversations/v1", "teams": ' + "[" * 100_000 + "]" * 100_000 + "}")

    with pytest.raises(CommandError, match="is nested too deeply to be an import file; nothing was imported"):
        call_command("import_conversations", str(path))
    assert Conversation.objects.count() == 0


def test_duplicate_ids_in_one_file_are_all_reported_and_none_imported(tmp_path, capsys):
    path = write(tmp_path, document(conversation("c1"), conversation("c2", subject="A"), conversation("c2")))

    call_command("import_conversations", str(path))

    assert list(Conversation.objects.values_list("external_id", flat=True)) == ["c1"]
    assert (
        capsys.readouterr().err.count(
            "c2: Conversation skipped: its id appears 2 times in the file; none of them was imported."
        )
        == 2
    )


def test_a_csv_rating_that_is_not_a_number_skips_that_conversation(tmp_path, capsys):
    text = (FIXTURES / "small.csv").read_text().replace(",4,", ",four,", 1)
    path = write(tmp_path, text, name="export.csv")

    call_command("import_conversations", str(path))

    assert not Conversation.objects.filter(external_id="9001").exists()
    assert Conversation.objects.filter(external_id="9002").exists()
    assert (
        "9001: Conversation skipped: 'rating' should be a whole number, got text ('four')." in capsys.readouterr().err
    )


def test_attachments_are_imported_and_an_attachment_only_message_is_kept(tmp_path):
    item = conversation()
    item["messages"].append(
        {
            "id": "5",
            "author": "customer",
            "created_at": "2026-11-18T09:30:00Z",
            "attachments": [{"name": "invoice.pdf", "url": "https://files.example.com/i.pdf", "size": 1200}],
        }
    )

    call_command("import_conversations", str(write(tmp_path, document(item))))

    message = Conversation.objects.get().messages.get(external_id="5")
    assert message.body_text == ""
    assert list(message.attachments.values("name", "url", "content_type", "size")) == [
        {"name": "invoice.pdf", "url": "https://files.example.com/i.pdf", "content_type": "", "size": 1200}
    ]


def test_a_message_without_an_id_gets_the_same_derived_id_every_import(tmp_path):
    item = conversation()
    del item["messages"][2]["id"]
    path = write(tmp_path, document(item))
    call_command("import_conversations", str(path))
    first = set(Conversation.objects.get().messages.values_list("external_id", flat=True))
    item["updated_at"] = "2026-11-18T11:00:00Z"
    call_command("import_conversations", str(write(tmp_path, document(item))))

    assert set(Conversation.objects.get().messages.values_list("external_id", flat=True)) == first
    assert len([external_id for external_id in first if external_id.startswith("derived-")]) == 1


def test_rebasing_a_file_with_null_conversations_or_messages_reports_them(tmp_path, capsys):
    path = write(tmp_path, document(conversation("c1"), None, conversation("c3", messages=None)))

    call_command("import_conversations", str(path), "--rebase-dates")

    assert sorted(Conversation.objects.values_list("external_id", flat=True)) == ["c1", "c3"]
    assert "(no id): Conversation skipped: expected an object, got NoneType." in capsys.readouterr().err


def test_a_csv_rating_in_other_digits_is_reported_not_a_crash(tmp_path, capsys):
    path = write(tmp_path, (FIXTURES / "small.csv").read_text().replace(",4,", ",\u00b2,", 1), name="export.csv")

    call_command("import_conversations", str(path))

    assert not Conversation.objects.filter(external_id="9001").exists()
    assert "9001: Conversation skipped: 'rating' should be a whole number" in capsys.readouterr().err


def test_csv_times_are_ordered_by_the_time_they_stand_for_across_a_clock_change(tmp_path):
    header = "conversation_id,state,assignee_email,message_id,message_created_at,author,author_email,body\n"
    rows = [
        # Central European local time as summer time ends: 02:50 CEST, then 02:10 CET, twenty minutes later.
        "dst,closed,ana@example.com,1,2026-10-25T02:50:00+02:00,customer,,My invoice is wrong.\n",
        "dst,closed,ana@example.com,2,2026-10-25T02:10:00+01:00,agent,ana@example.com,Fixed it.\n",
    ]
    path = write(tmp_path, header + "".join(rows), name="export.csv")
    call_command("import_conversations", str(path))

    stored = Conversation.objects.get(external_id="dst")
    assert (stored.created_at, stored.updated_at, stored.closed_at) == (
        datetime(2026, 10, 25, 0, 50, tzinfo=UTC),
        datetime(2026, 10, 25, 1, 10, tzinfo=UTC),
        datetime(2026, 10, 25, 1, 10, tzinfo=UTC),
    )

    # A later export with one more reply is newer, so the reply is imported.
    write(tmp_path, header + "".join(rows) + rows[1].replace(",2,", ",3,").replace("02:10", "02:20"), "export.csv")
    call_command("import_conversations", str(path))

    assert SyncRun.objects.first().updated == 1
    assert stored.messages.count() == 3
