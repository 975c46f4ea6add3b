"""Nothing stored goes back in time, and what was reviewed stays as it was reviewed."""

import copy
import json
from datetime import UTC, datetime, timedelta

import pytest
from django.core.management import call_command
from django.urls import reverse

from conversations.models import Agent, Conversation, SyncRun
from conversations.services import conversations_sync
from conversations.tests.test_import_file import conversation, document
from reviews.models import Assignment, ReviewWeek

pytestmark = pytest.mark.django_db


def import_file(tmp_path, payload, name="export.json"):
    path = tmp_path / name
    path.write_text(json.dumps(payload))
    call_command("import_conversations", str(path))
    return SyncRun.objects.latest()


def two_agents():
    return [
        {"id": "a1", "name": "Maya Patel", "email": "maya@example.com", "team": "billing"},
        {"id": "a2", "name": "John Smith", "email": "john@example.com", "team": "billing"},
    ]


def picked_for_review(conversation_external_id="c1"):
    stored = Conversation.objects.get(external_id=conversation_external_id)
    start = datetime(2026, 11, 23, tzinfo=UTC)
    week = ReviewWeek.objects.create(
        team=stored.team, label="2026-W48", starts_at=start, ends_at=start + timedelta(7), seed=1
    )
    return Assignment.objects.create(
        week=week, reviewer=Agent.objects.get(external_id="a2"), reviewee=stored.assignee, conversation=stored
    )


def test_an_older_re_import_changes_nothing(tmp_path):
    import_file(tmp_path, document(conversation(subject="Charged twice")))
    older = conversation(updated_at="2026-11-18T09:30:00Z", subject="An old export")
    older["messages"] = older["messages"][:1]

    run = import_file(tmp_path, document(older))

    stored = Conversation.objects.get()
    assert (run.unchanged, run.updated) == (1, 0)
    assert stored.subject == "Charged twice"
    assert stored.messages.count() == 4


def test_an_equal_updated_at_counts_as_unchanged_even_when_the_content_differs(tmp_path):
    import_file(tmp_path, document(conversation(subject="First")))

    run = import_file(tmp_path, document(conversation(subject="Same time, other text")))

    assert (run.unchanged, run.updated) == (1, 0)
    assert Conversation.objects.get().subject == "First"


def test_a_newer_version_of_an_unreviewed_conversation_replaces_its_transcript(tmp_path):
    import_file(tmp_path, document(conversation()))
    newer = conversation(updated_at="2026-11-19T10:00:00Z")
    newer["messages"][2]["body"] = "<p>Redacted.</p>"

    import_file(tmp_path, document(newer))

    assert Conversation.objects.get().messages.get(external_id="3").body_text == "Redacted."


def test_a_conversation_picked_for_review_keeps_every_message_and_gains_new_ones(tmp_path, client, staff_user):
    import_file(tmp_path, document(conversation(), agents=two_agents()))
    picked_for_review()
    newer = conversation(updated_at="2026-11-19T10:00:00Z", subject="Charged twice (reopened)")
    kept = copy.deepcopy(newer["messages"])
    newer["messages"] = [kept[0], {**kept[1], "body": "<p>Edited afterwards.</p>"}, kept[3]]  # "3" gone
    newer["messages"].append(
        {
            "id": "5",
            "author": "customer",
            "name": "Jo",
            "created_at": "2026-11-19T09:59:00Z",
            "body": "<p>It happened again today.</p>",
        }
    )

    run = import_file(tmp_path, document(newer, agents=two_agents()))

    stored = Conversation.objects.get()
    assert run.updated == 1
    assert stored.subject == "Charged twice (reopened)"
    transcript = list(stored.messages.values_list("external_id", "body_text", "added_after_review"))
    assert transcript == [
        ("1", "My invoice total is wrong since the VAT change, can you check what happened?", False),
        ("2", "Checking now.", False),
        ("3", "Thanks.", False),
        ("4", "Fixed: the rate was 19%, now 20%.", False),
        ("5", "It happened again today.", True),
    ]
    client.force_login(staff_user)
    page = client.get(reverse("reviews:conversation", args=[stored.pk])).content.decode()
    assert page.count("Arrived after the review started") == 1


def test_a_handed_back_conversation_keeps_its_transcript_too(tmp_path):
    import_file(tmp_path, document(conversation(), agents=two_agents()))
    assignment = picked_for_review()
    Assignment.objects.filter(pk=assignment.pk).update(status=Assignment.Status.SKIPPED, skip_reason="automated")
    newer = conversation(updated_at="2026-11-19T10:00:00Z")
    newer["messages"] = newer["messages"][:2]

    import_file(tmp_path, document(newer, agents=two_agents()))

    assert Conversation.objects.get().messages.count() == 4


def test_a_helpdesk_link_that_is_not_http_is_dropped_with_a_warning(tmp_path, client, staff_user):
    run = import_file(tmp_path, document(conversation(url="javascript:alert(document.cookie)")))

    stored = Conversation.objects.get()
    assert stored.url == ""
    assert list(run.problems.values_list("message", "skipped")) == [
        ("Its helpdesk link was left out: it is not an http(s) link.", False)
    ]
    client.force_login(staff_user)
    page = client.get(reverse("reviews:conversation", args=[stored.pk])).content.decode()
    assert "javascript:" not in page
    assert "Open in the helpdesk" not in page


def test_an_https_link_is_kept(tmp_path):
    import_file(tmp_path, document(conversation(url="https://help.example.com/tickets/1")))

    assert Conversation.objects.get().url == "https://help.example.com/tickets/1"


def test_a_link_is_kept_up_to_the_500_characters_its_column_holds_and_left_out_beyond(tmp_path):
    longest = "https://help.example.com/t/" + "1" * (500 - len("https://help.example.com/t/"))
    run = import_file(tmp_path, document(conversation("c1", url=longest), conversation("c2", url=longest + "1")))

    assert dict(Conversation.objects.values_list("external_id", "url")) == {"c1": longest, "c2": ""}
    assert list(run.problems.values_list("external_id", "message")) == [
        ("c2", "Its helpdesk link was left out: it is not an http(s) link.")
    ]


def test_a_message_without_an_id_is_stored_under_the_id_its_connector_derived(tmp_path):
    from conversations.helpdesks.files import FileHelpdesk

    item = conversation()
    del item["messages"][0]["id"]
    path = tmp_path / "export.json"
    path.write_text(json.dumps(document(item)))
    derived = FileHelpdesk.from_path(path).conversation_record(item).messages[0].external_id

    conversations_sync(source="file", helpdesk=FileHelpdesk.from_path(path))

    # Stored ids outlive Carousel versions: the store renames only a repeat, never the first.
    assert Conversation.objects.get().messages.filter(external_id=derived).exists()


def test_the_sync_service_is_idempotent_across_many_runs(tmp_path):
    from conversations.helpdesks.files import FileHelpdesk

    path = tmp_path / "export.json"
    path.write_text(json.dumps(document(conversation("c1"), conversation("c2"))))
    runs = [conversations_sync(source="file", helpdesk=FileHelpdesk.from_path(path)) for _ in range(3)]

    assert [(run.created, run.unchanged) for run in runs] == [(2, 0), (0, 2), (0, 2)]


def test_the_database_refuses_an_attachment_that_is_not_a_web_link(tmp_path):
    from django.db import IntegrityError, transaction

    import_file(tmp_path, document(conversation()))
    message = Conversation.objects.get().messages.first()

    with pytest.raises(IntegrityError), transaction.atomic():
        message.attachments.create(name="x", url="javascript:alert(1)")


def test_links_with_hidden_control_characters_are_left_out_not_fatal(tmp_path):
    item = conversation(url="java\tscript:alert(1)")
    item["messages"][0]["attachments"] = [
        {"name": "a.png", "url": "ht\ttp://files.example.com/a.png"},
        {"name": "b.png", "url": "\x01https://files.example.com/b.png"},
        {"name": "c.png", "url": "HTTPS://files.example.com/c.png"},
    ]

    run = import_file(tmp_path, document(item))

    stored = Conversation.objects.get()
    assert stored.url == ""
    assert list(stored.messages.get(external_id="1").attachments.values_list("url", flat=True)) == [
        "https://files.example.com/c.png"
    ]
    assert run.errors == 0
    assert run.problems.filter(skipped=False).count() == 3


def test_two_identical_messages_without_ids_are_both_kept_under_stable_ids(tmp_path):
    item = conversation()
    ok = {"author": "customer", "name": "Jo", "created_at": "2026-11-18T09:30:00Z", "body": "ok"}
    item["messages"] += [dict(ok), dict(ok)]
    import_file(tmp_path, document(item))
    first = sorted(Conversation.objects.get().messages.values_list("external_id", flat=True))
    item["updated_at"] = "2026-11-18T11:00:00Z"

    import_file(tmp_path, document(item))

    ids = sorted(Conversation.objects.get().messages.values_list("external_id", flat=True))
    assert ids == first and len(ids) == 6
    assert ids[-1].startswith("derived-") and ids[-1].endswith("-2")


def test_a_full_sync_stores_an_equal_version_again_but_never_an_older_one(tmp_path):
    from conversations.helpdesks.files import FileHelpdesk

    path = tmp_path / "export.json"
    path.write_text(json.dumps(document(conversation())))
    conversations_sync(source="file", helpdesk=FileHelpdesk.from_path(path))
    same_time = conversation(subject="Same time, re-stored")
    older = conversation("c1", updated_at="2026-11-18T09:30:00Z", subject="Older")

    path.write_text(json.dumps(document(same_time)))
    full = conversations_sync(source="file", full=True, helpdesk=FileHelpdesk.from_path(path))
    path.write_text(json.dumps(document(older)))
    full_older = conversations_sync(source="file", full=True, helpdesk=FileHelpdesk.from_path(path))

    assert (full.updated, full_older.updated, full_older.unchanged) == (1, 0, 1)
    assert Conversation.objects.get().subject == "Same time, re-stored"


def test_a_nul_character_in_an_id_does_not_stall_the_sync(tmp_path):
    run = import_file(tmp_path, document(conversation("c\x009"), conversation("c2")))

    assert run.status == SyncRun.Status.SUCCEEDED
    assert sorted(Conversation.objects.values_list("external_id", flat=True)) == ["c2", "c9"]


def test_a_full_sync_of_older_versions_leaves_every_one_of_them_as_stored(tmp_path):
    from conversations.helpdesks.files import FileHelpdesk

    path = tmp_path / "export.json"
    path.write_text(json.dumps(document(conversation("c1", subject="Current"), conversation("c2", subject="Current"))))
    conversations_sync(source="file", helpdesk=FileHelpdesk.from_path(path))
    older = {"updated_at": "2026-11-18T09:30:00Z", "subject": "Older"}
    path.write_text(json.dumps(document(conversation("c1", **older), conversation("c2", **older))))

    run = conversations_sync(source="file", full=True, helpdesk=FileHelpdesk.from_path(path))

    assert (run.fetched, run.unchanged, run.updated) == (2, 2, 0)
    assert set(Conversation.objects.values_list("subject", flat=True)) == {"Current"}
