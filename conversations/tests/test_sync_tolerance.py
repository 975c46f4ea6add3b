"""Intercom answers the 2.16 description allows, and what a lead sees of each on the sync page.

Every field in the description is optional and many are nullable: only a record's own id
is required. One record that cannot be read or written is skipped and explained; it never
costs its neighbours, its page, its run or the runs after it.
"""

from datetime import UTC, datetime

import pytest
import time_machine
from django.urls import reverse

from conversations.helpdesks import fields
from conversations.helpdesks.files import FileHelpdesk
from conversations.models import Agent, Conversation, Message, SyncCursor, SyncProblem, SyncRun, Team
from conversations.services import conversations_sync
from conversations.tests import fake_intercom as fake

pytestmark = pytest.mark.django_db

BASE = int(datetime(2026, 11, 20, 9, 0, tzinfo=UTC).timestamp())


@pytest.fixture(autouse=True)
def morning_before_the_conversations():
    with time_machine.travel(datetime(2026, 11, 20, 8, 0, tzinfo=UTC), tick=True):
        yield


@pytest.fixture
def helpdesk(fake_intercom):
    fake_intercom.teams = [fake.team("700", "Billing", admin_ids=["101"])]
    fake_intercom.admins = [fake.admin("101", "Maya Patel", "maya@ledgerly.example", team_ids=[700])]
    return fake_intercom


def sync(intercom_client, **options):
    return conversations_sync(source="intercom", helpdesk=intercom_client(**options))


def conversation(conversation_id, offset=0, **extra):
    return fake.reviewable_conversation(
        conversation_id, updated_at=BASE + offset, admin_id="101", team_id="700", **extra
    )


def problems(run, *, skipped=True):
    return {problem.external_id: problem.message for problem in run.problems.filter(skipped=skipped)}


def test_a_conversation_the_database_refuses_costs_only_itself_and_later_runs_go_on(helpdesk, intercom_client):
    for index in range(5):
        helpdesk.put(conversation(str(5000 + index), index * 60))
    broken = helpdesk.conversations["5002"]
    parts = broken["conversation_parts"]["conversation_parts"]
    parts[1]["id"] = parts[0]["id"]  # two different parts with one id

    first = sync(intercom_client, page_size=150)
    second = sync(intercom_client, page_size=150)

    assert first.status == second.status == SyncRun.Status.SUCCEEDED
    assert set(Conversation.objects.values_list("external_id", flat=True)) == {"5000", "5001", "5003", "5004"}
    assert problems(first) == {
        "5002": "Conversation skipped: two of its messages have the same id, so the helpdesk's answer "
        "cannot be stored as it is. The version stored before, if any, is kept."
    }
    assert (first.created, first.errors) == (4, 1)
    # The cursor moved past the page: the next run asks only for what changed since.
    assert SyncCursor.objects.get(source="intercom").updated_since is not None
    assert second.errors == 1 and second.created == 0


def test_a_bad_new_version_keeps_the_version_stored_before(helpdesk, intercom_client):
    helpdesk.put(conversation("5000"))
    sync(intercom_client)
    newer = conversation("5000", 600)
    parts = newer["conversation_parts"]["conversation_parts"]
    parts[1]["id"] = parts[0]["id"]
    newer["title"] = "Changed title"
    helpdesk.put(newer)

    run = sync(intercom_client)

    stored = Conversation.objects.get(external_id="5000")
    assert stored.subject == "Conversation 5000"
    assert stored.messages.count() == 7
    assert "5000" in problems(run)


def test_a_null_me_and_teams_or_teammates_without_ids_do_not_fail_the_run(helpdesk, intercom_client):
    helpdesk.me = None
    helpdesk.teams.append({"type": "team", "name": "No id"})
    helpdesk.admins += [None, {"type": "admin", "name": "Nobody"}, {"type": "admin", "id": "102", "team_ids": "700"}]
    helpdesk.put(conversation("5000"))

    run = sync(intercom_client)

    assert run.status == SyncRun.Status.SUCCEEDED
    assert list(Team.objects.values_list("name", flat=True)) == ["Billing"]
    assert list(Agent.objects.values_list("name", flat=True)) == ["Maya Patel"]
    assert Conversation.objects.get().url == ""
    assert problems(run) == {
        "": "Teammate skipped: it has no id.",
        "102": "Teammate skipped: 'team_ids' should be a list, got text ('700').",
    }
    assert run.problems.filter(message__startswith="Team skipped: it has no id.").exists()
    assert problems(run, skipped=False) == {
        "me": "Intercom did not name the workspace (/me has no app id_code), so conversations are stored "
        "without an 'Open in the helpdesk' link."
    }


def test_missing_optional_fields_are_filled_in_not_fatal(helpdesk, intercom_client):
    payload = conversation("5000", tags=("billing",))
    payload["tags"]["tags"].append({"type": "tag", "id": "9", "name": None})
    parts = payload["conversation_parts"]["conversation_parts"]
    del parts[0]["id"]
    del parts[2]["created_at"]
    del payload["statistics"]
    payload["conversation_rating"] = None
    helpdesk.put(payload)
    helpdesk.search_extras.append({"type": "conversation", "id": "5001"})  # no updated_at in the listing
    helpdesk.put(conversation("5001", 60))

    run = sync(intercom_client, page_size=150)

    assert (run.status, run.errors) == (SyncRun.Status.SUCCEEDED, 0)
    stored = Conversation.objects.get(external_id="5000")
    assert stored.tags == ["billing"]
    assert stored.messages.count() == 7
    derived = stored.messages.get(external_id__startswith="derived-")
    untimed = stored.messages.get(external_id=str(parts[2]["id"]))
    before = stored.messages.get(external_id=str(parts[1]["id"]))
    assert untimed.created_at == before.created_at
    assert problems(run, skipped=False) == {
        "5000": f"A message ({parts[2]['id']}) had no time; it is shown at the time of the message before it."
    }
    assert Conversation.objects.filter(external_id="5001").exists()

    # The derived id is stable: the next version keeps the same message, not a copy.
    helpdesk.put({**payload, "updated_at": BASE + 900})
    sync(intercom_client)
    assert stored.messages.filter(external_id=derived.external_id).count() == 1
    assert stored.messages.count() == 7


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"tags": "billing"}, "'tags' should be an object, got text ('billing')"),
        ({"tags": {"type": "tag.list", "tags": "billing"}}, "'tags' should be a list, got text ('billing')"),
        ({"conversation_rating": {"rating": True}}, "'rating' should be a whole number, got true/false (true)"),
        ({"conversation_rating": {"rating": 7}}, "its CSAT rating 7 is not 1 to 5"),
        ({"created_at": 1763629200000}, "'created_at' is out of range (1763629200000): not a real conversation time"),
        ({"created_at": -5}, "'created_at' is out of range (1969-12-31): not a real conversation time"),
        ({"title": 42}, "'title' should be text, got a number (42)"),
        ({"admin_assignee_id": True}, "'admin_assignee_id' should be an id, got true/false (true)"),
    ],
)
def test_wrong_types_and_out_of_range_values_skip_the_record_not_the_run(helpdesk, intercom_client, change, reason):
    helpdesk.put({**conversation("5000"), **change})
    helpdesk.put(conversation("5001", 60))

    run = sync(intercom_client)

    assert run.status == SyncRun.Status.SUCCEEDED
    assert problems(run) == {"5000": f"Conversation skipped: {reason}."}
    assert list(Conversation.objects.values_list("external_id", flat=True)) == ["5001"]


def test_attachments_are_kept_and_an_attachment_only_message_counts(helpdesk, intercom_client, settings):
    # Without the screenshot the customer wrote two messages: too short.
    settings.SYNC_MIN_CUSTOMER_MESSAGES, settings.SYNC_MIN_AGENT_REPLIES, settings.SYNC_MIN_CUSTOMER_WORDS = 3, 1, 0
    payload = conversation("5000", replies=1)
    screenshot = fake.part(90, author_type="user", author_id="c-1", body=None, created_at=BASE - 10)
    screenshot["attachments"] = [
        {
            "type": "upload",
            "name": "screenshot.png",
            "url": "https://downloads.intercomcdn.com/i/o/1/screenshot.png",
            "content_type": "image/png",
            "filesize": 20480,
            "width": 800,
            "height": 600,
        },
        {"type": "upload", "name": "evil", "url": "javascript:alert(1)", "content_type": "text/html"},
    ]
    payload["conversation_parts"]["conversation_parts"].append(screenshot)
    helpdesk.put(payload)

    run = sync(intercom_client)

    stored = Conversation.objects.get()
    message = stored.messages.get(external_id="90")
    assert (message.body_text, list(message.attachments.values("name", "url", "content_type", "size"))) == (
        "",
        [
            {
                "name": "screenshot.png",
                "url": "https://downloads.intercomcdn.com/i/o/1/screenshot.png",
                "content_type": "image/png",
                "size": 20480,
            }
        ],
    )
    # The opening message, the customer's answer and the screenshot: three, so not "short".
    assert stored.customer_message_count == 3
    assert stored.exclusion_reason == ""
    assert problems(run, skipped=False) == {
        "5000": "An attachment (evil) was left out: its link is not a usable http(s) link."
    }


def test_a_conversation_longer_than_intercom_sends_is_stored_and_marked_truncated(
    helpdesk, intercom_client, client, billing_lead
):
    payload = conversation("5000")
    payload["conversation_parts"]["total_count"] = 730
    helpdesk.put(payload)
    helpdesk.put(conversation("5001", 60))

    run = sync(intercom_client)

    stored = Conversation.objects.get(external_id="5000")
    assert stored.is_truncated and not Conversation.objects.get(external_id="5001").is_truncated
    assert run.truncated == 1
    stored.team.leads.add(billing_lead)
    client.force_login(billing_lead)
    transcript = client.get(reverse("reviews:conversation", args=[stored.pk])).content.decode()
    assert "The helpdesk holds more of this conversation than it sent" in transcript
    assert "(7 messages shown)" in transcript
    run_page = client.get(reverse("conversations:sync_run_detail", args=[run.pk])).content.decode()
    assert "<dt>Truncated</dt><dd>1 (stored with fewer messages than the helpdesk holds" in run_page


def test_problems_and_warnings_are_listed_apart_on_the_run_page(helpdesk, intercom_client, client, billing_lead):
    helpdesk.put({**conversation("5000"), "title": 42})
    untimed = conversation("5001", 60)
    del untimed["conversation_parts"]["conversation_parts"][0]["created_at"]
    helpdesk.put(untimed)

    run = sync(intercom_client)
    client.force_login(billing_lead)
    page = client.get(reverse("conversations:sync_run_detail", args=[run.pk])).content.decode()

    assert "<h2>Skipped records (1)</h2>" in page
    assert "Conversation skipped: &#x27;title&#x27; should be text, got a number (42)." in page
    assert "<h2>Stored with a warning (1)</h2>" in page
    assert "had no time; it is shown at the time of the message before it." in page
    assert SyncProblem.objects.count() == 2
    assert Message.objects.filter(conversation__external_id="5001").count() == 7


def test_a_conversation_gone_between_the_search_and_its_fetch_costs_only_itself(helpdesk, intercom_client):
    helpdesk.put(conversation("5000"))
    helpdesk.search_extras.append({"type": "conversation", "id": "5999", "updated_at": BASE})  # deleted since

    run = sync(intercom_client, page_size=150)

    assert run.status == SyncRun.Status.SUCCEEDED
    assert problems(run)["5999"].startswith(
        "Conversation unavailable: Intercom refused GET /conversations/5999 (HTTP 404)"
    )
    assert list(Conversation.objects.values_list("external_id", flat=True)) == ["5000"]


def fits_its_columns(row) -> bool:
    return all(
        len(getattr(row, field.attname)) <= field.max_length
        for field in row._meta.concrete_fields
        if field.max_length and isinstance(getattr(row, field.attname), str)
    )


def test_text_longer_than_its_column_is_cut_to_fit_rather_than_refused(helpdesk, intercom_client):
    # SQLite would keep it whole; PostgreSQL would refuse the row and the conversation with it.
    helpdesk.teams = [fake.team("700", "T" * 300, admin_ids=["101"])]
    helpdesk.admins = [fake.admin("101", "M" * 300, "maya@ledgerly.example", team_ids=[700])]
    payload = conversation("5000", tags=("t" * 150,), state="s" * 30)
    payload["title"] = "S" * 600
    parts = payload["conversation_parts"]["conversation_parts"]
    parts[1]["author"]["name"] = "C" * 300
    parts[1]["attachments"] = [
        {"name": "n" * 300, "url": "https://files.example.com/a.png", "content_type": "c" * 150, "filesize": 1}
    ]
    parts[2]["id"] = "9" * 150
    helpdesk.put(payload)

    run = sync(intercom_client)

    assert (run.status, run.created, run.errors) == (SyncRun.Status.SUCCEEDED, 1, 0)
    stored = Conversation.objects.get()
    assert (stored.subject, stored.state, stored.tags) == ("S" * 500, "s" * 20, ["t" * 100])
    assert (stored.team.name, stored.assignee.name) == ("T" * 200, "M" * 200)
    customer = stored.messages.get(external_id=str(parts[1]["id"]))
    assert customer.author_name == "C" * 200
    assert list(customer.attachments.values_list("name", "content_type")) == [("n" * 255, "c" * 100)]
    long_id = stored.messages.get(created_at=datetime.fromtimestamp(parts[2]["created_at"], tz=UTC))
    assert long_id.external_id.startswith("derived-")
    rows = [stored, stored.team, stored.assignee, *stored.messages.all(), *customer.attachments.all()]
    assert all(fits_its_columns(row) for row in rows)


def test_a_message_id_of_exactly_a_hundred_characters_is_kept_as_it_is(helpdesk, intercom_client):
    payload = conversation("5000")
    payload["conversation_parts"]["conversation_parts"][0]["id"] = "7" * 100
    helpdesk.put(payload)

    sync(intercom_client)

    assert Message.objects.filter(external_id="7" * 100).exists()


def test_a_message_id_of_101_characters_is_stored_under_a_derived_id(helpdesk, intercom_client):
    payload = conversation("5000")
    payload["conversation_parts"]["conversation_parts"][0]["id"] = "7" * 101
    helpdesk.put(payload)

    run = sync(intercom_client)

    # PostgreSQL would refuse the whole conversation for one id too long for its column.
    assert (run.created, run.errors) == (1, 0)
    stored = Conversation.objects.get().messages.values_list("external_id", flat=True)
    assert "7" * 101 not in stored
    assert fields.derived_id("7" * 101) in stored


def test_nul_characters_are_taken_out_of_what_is_stored(helpdesk, intercom_client):
    payload = conversation("5000", rating=4, remark="Fast\x00 help")
    payload["title"] = "Ref\x00und"
    payload["conversation_parts"]["conversation_parts"][0]["body"] = "<p>Step\x00 one</p>"
    # A body without markup, and a link, reach the database without the HTML parser's cleaning.
    payload["conversation_parts"]["conversation_parts"][1]["body"] = "Thanks\x00 a lot"
    payload["conversation_parts"]["conversation_parts"][2]["body"] = '<a href="https://ex.com/a\x00b">the fix</a>'
    helpdesk.put(payload)

    sync(intercom_client)

    stored = Conversation.objects.get()
    assert (stored.subject, stored.csat_remark) == ("Refund", "Fast help")
    assert stored.messages.get(external_id="1").body_text == "Step one"
    assert stored.messages.get(external_id="2").body_text == "Thanks a lot"
    assert 'href="https://ex.com/ab"' in stored.messages.get(external_id="3").body_html


def test_an_attachment_size_no_file_can_have_is_stored_as_unknown(helpdesk, intercom_client):
    payload = conversation("5000")
    sizes = {"empty.txt": 0, "negative.txt": -1, "largest.bin": 2**63 - 1, "too-large.bin": 2**63}
    payload["conversation_parts"]["conversation_parts"][0]["attachments"] = [
        {"name": name, "url": f"https://files.example.com/{name}", "filesize": size} for name, size in sizes.items()
    ]
    helpdesk.put(payload)

    run = sync(intercom_client)

    assert (run.status, run.errors) == (SyncRun.Status.SUCCEEDED, 0)
    stored = Message.objects.get(external_id="1").attachments.order_by("id").values_list("name", "size")
    assert list(stored) == [
        ("empty.txt", 0),
        ("negative.txt", None),
        ("largest.bin", 2**63 - 1),
        ("too-large.bin", None),
    ]


def test_a_link_is_kept_up_to_the_length_its_column_holds_and_left_out_beyond(helpdesk, intercom_client):
    payload = conversation("5000")
    longest = "https://files.example.com/" + "a" * (2000 - len("https://files.example.com/"))
    payload["conversation_parts"]["conversation_parts"][0]["attachments"] = [
        {"name": "longest", "url": longest},
        {"name": "too-long", "url": longest + "a"},
    ]
    helpdesk.put(payload)

    run = sync(intercom_client)

    assert list(Message.objects.get(external_id="1").attachments.values_list("name", flat=True)) == ["longest"]
    assert problems(run, skipped=False) == {
        "5000": "An attachment (too-long) was left out: its link is not a usable http(s) link."
    }


def test_an_attachment_left_out_is_named_by_the_start_of_its_name(helpdesk, intercom_client):
    payload = conversation("5000")
    payload["conversation_parts"]["conversation_parts"][0]["attachments"] = [
        {"name": "invoice-" + "n" * 300, "url": "ftp://files.example.com/invoice.pdf"}
    ]
    helpdesk.put(payload)

    run = sync(intercom_client)

    # The sync page names it in a line, not a screenful.
    name = ("invoice-" + "n" * 300)[:80]
    assert problems(run, skipped=False) == {
        "5000": f"An attachment ({name}) was left out: its link is not a usable http(s) link."
    }


def test_an_attachment_without_a_name_or_a_file_name_in_its_link_is_called_attachment(helpdesk, intercom_client):
    payload = conversation("5000")
    payload["conversation_parts"]["conversation_parts"][0]["attachments"] = [
        {"name": None, "url": "https://files.example.com/download/", "content_type": "image/png"}
    ]
    helpdesk.put(payload)

    sync(intercom_client)

    stored = Message.objects.get(external_id="1").attachments.values_list("name", "url")
    assert list(stored) == [("attachment", "https://files.example.com/download/")]


def test_a_conversation_id_is_kept_up_to_100_characters_and_skipped_beyond(helpdesk, intercom_client):
    helpdesk.put(conversation("1" * 100))
    helpdesk.put(conversation("2" * 101, 60))

    run = sync(intercom_client, page_size=150)

    assert list(Conversation.objects.values_list("external_id", flat=True)) == ["1" * 100]
    assert problems(run) == {"2" * 100: "Conversation skipped: its id is over 100 characters."}


def test_a_problem_with_an_endless_id_is_stored_cut_to_size(helpdesk, intercom_client):
    endless = "9" * 20_000
    helpdesk.search_extras.append({"type": "conversation", "id": endless, "updated_at": BASE})  # gone since

    run = sync(intercom_client)

    problem = run.problems.get()
    assert problem.external_id == endless[:100]
    assert problem.message.startswith(f"Conversation unavailable: Intercom refused GET /conversations/{endless[:100]}")
    assert len(problem.message) == 10_000


def test_every_truncated_conversation_on_a_page_is_counted(helpdesk, intercom_client):
    for index in range(2):
        payload = conversation(str(5000 + index), index * 60)
        payload["conversation_parts"]["total_count"] = 730
        helpdesk.put(payload)

    assert sync(intercom_client, page_size=150).truncated == 2


def test_a_search_hit_without_a_readable_time_is_fetched_and_counted_unchanged_when_it_is(helpdesk, intercom_client):
    for index in range(3):
        helpdesk.put(conversation(str(5000 + index), index * 60))
    sync(intercom_client, page_size=150)
    helpdesk.fail("POST", "/conversations/search", "malformed-search")

    run = sync(intercom_client, page_size=150)

    # One fetched and found to be the version stored, two known unchanged from the search.
    assert (run.fetched, run.unchanged, run.updated) == (1, 3, 0)


def test_a_conversation_in_no_helpdesk_team_is_in_its_assignees_and_without_either_in_none(helpdesk, intercom_client):
    helpdesk.put(fake.reviewable_conversation("5000", updated_at=BASE, admin_id="101"))
    helpdesk.put(fake.reviewable_conversation("5001", updated_at=BASE + 60, admin_id="999"))

    sync(intercom_client)

    assert Conversation.objects.get(external_id="5000").team.name == "Billing"
    unassigned = Conversation.objects.get(external_id="5001")
    assert (unassigned.assignee, unassigned.team) == (None, None)


def test_a_conversation_id_another_helpdesk_uses_too_is_a_conversation_of_its_own(helpdesk, intercom_client, tmp_path):
    from conversations.tests.test_import_file import conversation as file_conversation
    from conversations.tests.test_import_file import document, write

    # The file's 5000 is newer than Intercom's: it must not pass for Intercom's stored version.
    write(tmp_path, document(file_conversation("5000", updated_at="2026-12-01T10:00:00Z")))
    conversations_sync(source="file", helpdesk=FileHelpdesk.from_path(tmp_path))
    helpdesk.put(conversation("5000"))

    run = sync(intercom_client)

    assert (run.created, run.unchanged) == (1, 0)
    assert set(Conversation.objects.values_list("source", "external_id")) == {("file", "5000"), ("intercom", "5000")}
    assert Conversation.objects.get(source="file").messages.count() == 4
