"""The Zendesk sync over real HTTP against a local server that speaks the reference's shapes."""

import time
from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from django.contrib.auth import get_user_model

from conversations.models import (
    Agent,
    AuthorKind,
    Conversation,
    ExclusionReason,
    Message,
    SyncCursor,
    SyncRun,
    Team,
)
from conversations.services import conversations_sync
from conversations.tests import fake_zendesk as fake

pytestmark = pytest.mark.django_db

BASE = int(datetime(2026, 11, 20, 9, 0, tzinfo=UTC).timestamp())
MAYA, JOHN, LEE = 101, 102, 103
EXPORT = fake.EXPORT_PATH


@pytest.fixture(autouse=True)
def morning_before_the_tickets():
    """Syncs run at 08:00, so tickets updated from 09:00 are newer than any cursor."""
    with time_machine.travel(datetime(2026, 11, 20, 8, 0, tzinfo=UTC), tick=True):
        yield


@pytest.fixture
def helpdesk(fake_zendesk):
    fake_zendesk.groups = [fake.group(700, "Billing"), fake.group(701, "Tier 2")]
    fake_zendesk.put_user(
        fake.user(MAYA, "Maya Patel", "Maya@Ledgerly.example", role="admin"),
        fake.user(JOHN, "John Smith", "john@ledgerly.example"),
        fake.user(LEE, "Lee Left", "lee@ledgerly.example", suspended=True),
    )
    fake_zendesk.memberships = [
        fake.membership(MAYA, 700, default=True),
        fake.membership(JOHN, 700),
        fake.membership(JOHN, 701, default=True),
    ]
    ratings = {0: ("good", "Great help"), 1: ("bad", "Still broken"), 2: ("offered", None)}
    for index in range(5):
        score, remark = ratings.get(index, (None, None))
        fake_zendesk.put(
            *fake.reviewable_ticket(
                5000 + index,
                updated_at=BASE + index * 60,
                assignee_id=MAYA if index % 2 else JOHN,
                group_id=700,
                tags=("billing",),
                score=score,
                remark=remark,
                status="open" if index == 4 else "solved",
            )
        )
    return fake_zendesk


def sync(zendesk_client, since=None, **options):
    return conversations_sync(source="zendesk", since=since, helpdesk=zendesk_client(**options))


def comments_path(ticket_id: int) -> str:
    return f"/api/v2/tickets/{ticket_id}/comments.json"


def test_it_stores_every_ticket_across_three_pages_of_the_export(helpdesk, zendesk_client):
    run = sync(zendesk_client)

    assert run.status == SyncRun.Status.SUCCEEDED
    assert (run.fetched, run.created, run.updated, run.kept, run.errors) == (5, 5, 0, 5, 0)
    assert helpdesk.count(EXPORT) == 3
    conversation = Conversation.objects.get(source="zendesk", external_id="5002")
    assert conversation.assignee.name == "John Smith"
    assert conversation.team.name == "Billing"
    assert conversation.tags == ["billing"]
    assert conversation.subject == "Invoice totals wrong (5002)"
    assert conversation.url == "https://ledgerly.zendesk.com/agent/tickets/5002"
    assert conversation.updated_at == datetime(2026, 11, 20, 9, 2, tzinfo=UTC)
    assert (conversation.state, conversation.closed_at) == ("closed", conversation.updated_at)
    kinds = list(conversation.messages.values_list("author_kind", flat=True))
    assert kinds == [AuthorKind.CUSTOMER, *[AuthorKind.AGENT, AuthorKind.CUSTOMER] * 3, AuthorKind.NOTE]
    assert (conversation.agent_message_count, conversation.customer_message_count) == (3, 4)
    opening = conversation.messages.first()
    assert (opening.author_name, opening.author_agent) == ("Casey Customer", None)
    reply = conversation.messages.filter(author_kind=AuthorKind.AGENT).first()
    assert reply.author_agent.name == "John Smith"
    assert reply.body_text == "Thanks for the detail, here is step 1 of the fix."
    still_open = Conversation.objects.get(external_id="5004")
    assert (still_open.state, still_open.closed_at) == ("open", None)


def test_it_authenticates_with_an_api_token_and_exports_from_the_beginning(helpdesk, zendesk_client):
    client = zendesk_client()
    assert client.http.session.auth == (f"{fake.EMAIL}/token", fake.TOKEN)

    conversations_sync(source="zendesk", helpdesk=client)

    assert helpdesk.export_queries[0] == {"start_time": "0", "per_page": "2"}
    assert set(helpdesk.export_queries[1]) == {"cursor", "per_page"}


def test_internal_notes_are_stored_as_notes_written_by_their_agent(helpdesk, zendesk_client):
    sync(zendesk_client)

    note = Message.objects.get(conversation__external_id="5001", author_kind=AuthorKind.NOTE)
    assert note.author_agent.name == "Maya Patel"
    assert note.body_text == "Refund approved by finance."


def test_automated_comments_are_bot_messages_and_plain_bodies_are_kept(fake_zendesk, zendesk_client):
    fake_zendesk.put_user(
        fake.user(MAYA, "Maya Patel", "maya@ledgerly.example", role="admin"),
        fake.user(4242, "Billing Bot", "bot@ledgerly.example", role="end-user"),
    )
    exported, comments = fake.reviewable_ticket(6000, updated_at=BASE, assignee_id=MAYA)
    # The requester's own comment stays the customer's, whichever channel it came through.
    comments[0]["via"]["channel"] = "api"
    automated = fake.comment(
        600050,
        author_id=4242,
        channel="api",
        created_at=BASE - 3000,
        body="We received your request and will reply within a day.",
        html=False,
    )
    fake_zendesk.put(exported, [comments[0], automated, *comments[1:]])

    sync(zendesk_client)

    messages = Message.objects.filter(conversation__external_id="6000")
    assert list(messages.values_list("author_kind", flat=True)[:2]) == [AuthorKind.CUSTOMER, AuthorKind.BOT]
    bot = messages.get(author_kind=AuthorKind.BOT)
    assert (bot.author_name, bot.author_agent) == ("Billing Bot", None)
    assert bot.body_text == "We received your request and will reply within a day."


def test_groups_and_agents_come_from_zendesk_and_link_to_users_by_email(helpdesk, zendesk_client):
    # Pages of two, so the users and memberships lists each take two requests.
    helpdesk.max_page_size = 2
    maya = get_user_model().objects.create_user("maya", email="maya@ledgerly.example", password="x")

    sync(zendesk_client)

    teams = set(Team.objects.filter(source="zendesk").values_list("external_id", "name"))
    assert teams == {("700", "Billing"), ("701", "Tier 2")}
    maya_agent = Agent.objects.get(source="zendesk", external_id=str(MAYA))
    assert (maya_agent.team.name, maya_agent.user, maya_agent.email) == ("Billing", maya, "maya@ledgerly.example")
    # John is in both groups; his default group is his team.
    assert Agent.objects.get(external_id=str(JOHN)).team.name == "Tier 2"
    assert Agent.objects.get(external_id=str(LEE)).is_active is False
    assert set(Agent.objects.values_list("external_id", flat=True)) == {str(MAYA), str(JOHN), str(LEE)}
    assert (helpdesk.count("/api/v2/users.json"), helpdesk.count("/api/v2/group_memberships.json")) == (2, 2)


def test_an_agents_start_date_comes_from_their_zendesk_account_and_a_leads_date_is_kept(helpdesk, zendesk_client):
    helpdesk.users[str(MAYA)]["created_at"] = "2026-11-02T09:30:00Z"
    helpdesk.users[str(JOHN)]["created_at"] = "not a time"

    sync(zendesk_client)

    maya = Agent.objects.get(external_id=str(MAYA))
    assert maya.started_on == date(2026, 11, 2)
    # A start date Zendesk cannot give never costs the teammate.
    assert Agent.objects.get(external_id=str(JOHN)).started_on is None
    Agent.objects.filter(pk=maya.pk).update(started_on=date(2026, 11, 9))  # a lead corrects it
    helpdesk.users[str(MAYA)]["name"] = "Maya P."
    sync(zendesk_client)
    maya.refresh_from_db()
    assert (maya.name, maya.started_on) == ("Maya P.", date(2026, 11, 9))


def test_comments_are_read_page_by_page(helpdesk, zendesk_client):
    helpdesk.comments_per_page = 3

    sync(zendesk_client)

    assert helpdesk.count(comments_path(5002)) == 3
    assert Message.objects.filter(conversation__external_id="5002").count() == 8
    assert Message.objects.count() == 5 * 8


def test_a_deleted_ticket_is_kept_as_spam_and_excluded_from_review(helpdesk, zendesk_client):
    helpdesk.put(fake.ticket(5009, updated_at=BASE + 600, assignee_id=None, status="deleted", tags=("crypto",)))

    run = sync(zendesk_client)

    spam = Conversation.objects.get(external_id="5009")
    assert (spam.is_spam, spam.exclusion_reason) == (True, ExclusionReason.SPAM_FLAGGED)
    assert spam.messages.count() == 0
    assert (run.kept, run.excluded_counts) == (5, {"spam_flagged": 1})
    # Zendesk serves no comments for a deleted ticket, so none are asked for.
    assert helpdesk.count(comments_path(5009)) == 0


def test_satisfaction_ratings_map_good_to_five_and_bad_to_one(helpdesk, zendesk_client):
    sync(zendesk_client)

    ratings = {row.external_id: (row.csat_rating, row.csat_remark) for row in Conversation.objects.all()}
    assert ratings == {
        "5000": (5, "Great help"),
        "5001": (1, "Still broken"),
        "5002": (None, ""),  # offered, never answered
        "5003": (None, ""),
        "5004": (None, ""),
    }


def test_running_twice_on_the_same_data_duplicates_nothing_and_refetches_nothing(helpdesk, zendesk_client):
    sync(zendesk_client)
    comment_requests = helpdesk.count("/api/v2/tickets/")

    # Asking again from before the first ticket lists all five again.
    second = sync(zendesk_client, since=datetime(2026, 11, 1, tzinfo=UTC))

    assert Conversation.objects.count() == 5
    assert Message.objects.count() == 5 * 8
    assert (second.fetched, second.created, second.updated, second.unchanged) == (0, 0, 0, 5)
    assert helpdesk.count("/api/v2/tickets/") == comment_requests


def test_a_changed_ticket_is_updated_in_place(helpdesk, zendesk_client):
    sync(zendesk_client)
    helpdesk.put(*fake.reviewable_ticket(5001, updated_at=BASE + 7200, assignee_id=MAYA, replies=4, score="good"))

    run = sync(zendesk_client)

    assert (run.created, run.updated, run.unchanged) == (0, 1, 4)
    conversation = Conversation.objects.get(external_id="5001")
    assert conversation.csat_rating == 5
    assert conversation.messages.count() == 10
    assert Conversation.objects.count() == 5


def test_the_next_run_exports_from_where_the_last_one_started(helpdesk, zendesk_client):
    first = sync(zendesk_client)
    cursor = SyncCursor.objects.get(source="zendesk")
    assert cursor.updated_since == first.started_at - timedelta(minutes=5)

    sync(zendesk_client)

    assert helpdesk.export_queries[3] == {"start_time": str(int(cursor.updated_since.timestamp())), "per_page": "2"}


def test_it_waits_out_a_429_for_its_retry_after(helpdesk, zendesk_client):
    helpdesk.fail(comments_path(5003), "429", retry_after="0.3")

    run = sync(zendesk_client)

    assert run.status == SyncRun.Status.SUCCEEDED
    assert Conversation.objects.filter(external_id="5003").exists()
    assert helpdesk.count(comments_path(5003)) == 2


def test_a_429_without_retry_after_waits_the_seconds_in_ratelimit_reset(helpdesk, zendesk_client):
    helpdesk.fail(EXPORT, "429", reset="1")
    started = time.perf_counter()

    run = sync(zendesk_client)

    assert run.status == SyncRun.Status.SUCCEEDED
    assert helpdesk.count(EXPORT) == 4
    # Zendesk's reset is a number of seconds, not a Unix time.
    assert 0.9 <= time.perf_counter() - started < 10


def test_a_small_rate_limit_budget_is_spent_without_failing_the_run(helpdesk, zendesk_client):
    budget, window = 6, 1.0
    helpdesk.rate_limit = (budget, window)
    started = time.perf_counter()

    run = sync(zendesk_client)

    assert run.status == SyncRun.Status.SUCCEEDED
    assert Conversation.objects.count() == 5
    # The run needed more than one window's budget: the client paused for the next window
    # instead of drawing 429s from Zendesk.
    assert len(helpdesk.log) > budget
    assert helpdesk.too_many_requests == 0
    assert time.perf_counter() - started >= window * (len(helpdesk.log) // budget - 1)


def test_it_retries_server_errors_then_succeeds(helpdesk, zendesk_client):
    helpdesk.fail(EXPORT, "500", times=2)
    helpdesk.fail(comments_path(5000), "503")

    run = sync(zendesk_client)

    assert run.status == SyncRun.Status.SUCCEEDED
    assert Conversation.objects.count() == 5


def test_a_503_with_retry_after_is_retried_no_sooner_than_asked(helpdesk, zendesk_client):
    import time

    helpdesk.fail(EXPORT, "503", retry_after="0.6")
    started = time.monotonic()

    run = sync(zendesk_client)

    assert run.status == SyncRun.Status.SUCCEEDED
    assert time.monotonic() - started >= 0.6  # the client's own backoff here is 0.01 s


def test_it_retries_a_request_that_times_out(helpdesk, zendesk_client):
    helpdesk.hang_seconds = 1.5
    helpdesk.fail(comments_path(5004), "timeout")

    run = sync(zendesk_client, timeout=0.5)

    assert run.status == SyncRun.Status.SUCCEEDED
    assert Conversation.objects.filter(external_id="5004").exists()
    assert helpdesk.count(comments_path(5004)) == 2


def test_a_helpdesk_that_keeps_failing_fails_the_run_with_a_clear_message(helpdesk, zendesk_client):
    helpdesk.fail(EXPORT, "500", times=10)

    run = sync(zendesk_client, max_retries=2)

    assert run.status == SyncRun.Status.FAILED
    assert "Zendesk did not answer properly (HTTP 500) after 2 retries" in run.error_text
    assert Conversation.objects.count() == 0


def test_an_answer_that_is_not_json_is_retried(helpdesk, zendesk_client):
    helpdesk.fail(EXPORT, "garbage")
    helpdesk.fail(comments_path(5001), "garbage")

    run = sync(zendesk_client)

    assert run.status == SyncRun.Status.SUCCEEDED
    assert Conversation.objects.count() == 5


def test_garbage_that_never_stops_fails_the_run_and_keeps_earlier_data(helpdesk, zendesk_client):
    sync(zendesk_client)
    helpdesk.put(*fake.reviewable_ticket(5009, updated_at=BASE + 9000, assignee_id=MAYA))
    helpdesk.fail(EXPORT, "garbage", times=10)

    run = sync(zendesk_client, max_retries=1)

    assert run.status == SyncRun.Status.FAILED
    assert "an answer that is not JSON" in run.error_text
    assert Conversation.objects.count() == 5


def test_malformed_tickets_and_comment_lists_are_logged_against_the_run_and_skipped(helpdesk, zendesk_client):
    helpdesk.comments["5002"][3]["created_at"] = "not a time"
    helpdesk.fail(EXPORT, "malformed-export")
    helpdesk.fail(comments_path(5001), "malformed-comments")

    run = sync(zendesk_client)

    assert run.status == SyncRun.Status.SUCCEEDED
    assert run.errors == 3
    problems = {problem.external_id: problem for problem in run.problems.all()}
    assert problems["5000"].message == "Ticket skipped: 'updated_at' is not an ISO 8601 time ('yesterday')."
    assert "has no comments list" in problems["5001"].message
    assert problems["5002"].message == "Ticket skipped: 'created_at' is not an ISO 8601 time ('not a time')."
    assert '"id": 5002' in problems["5002"].payload_excerpt
    assert set(Conversation.objects.values_list("external_id", flat=True)) == {"5003", "5004"}


def test_a_ticket_whose_comments_are_gone_is_logged_and_the_run_goes_on(helpdesk, zendesk_client):
    helpdesk.fail(comments_path(5003), "404")

    run = sync(zendesk_client)

    assert run.status == SyncRun.Status.SUCCEEDED
    assert "Comments unavailable" in run.problems.get(external_id="5003").message
    assert Conversation.objects.count() == 4


def test_a_rejected_token_stops_at_once_with_a_message_a_lead_understands(helpdesk, zendesk_client):
    run = sync(zendesk_client, api_token="revoked")

    assert run.status == SyncRun.Status.FAILED
    assert run.error_text.startswith("The Zendesk token was rejected (HTTP 401).")
    assert "ZENDESK_EMAIL and ZENDESK_API_TOKEN" in run.error_text
    assert helpdesk.log == [("GET", "/api/v2/users/me.json")]
    assert Conversation.objects.count() == 0


def test_an_anonymous_answer_to_users_me_counts_as_a_rejected_token(helpdesk, zendesk_client):
    helpdesk.fail("/api/v2/users/me.json", "anonymous")

    run = sync(zendesk_client)

    assert run.status == SyncRun.Status.FAILED
    assert run.error_text.startswith("The Zendesk token was rejected")
    assert helpdesk.log == [("GET", "/api/v2/users/me.json")]


def test_a_401_mid_sync_is_not_retried(helpdesk, zendesk_client):
    helpdesk.fail(comments_path(5002), "401")

    run = sync(zendesk_client)

    assert run.status == SyncRun.Status.FAILED
    assert "token was rejected" in run.error_text
    assert helpdesk.count(comments_path(5002)) == 1


def test_a_run_that_dies_on_page_two_resumes_from_its_after_cursor(fake_zendesk, zendesk_client):
    fake_zendesk.put_user(fake.user(MAYA, "Maya Patel", "maya@ledgerly.example", role="admin"))
    for index in range(6):
        fake_zendesk.put(*fake.reviewable_ticket(7000 + index, updated_at=BASE + index, assignee_id=MAYA))
    fake_zendesk.fail(comments_path(7003), "500", times=4)

    failed = sync(zendesk_client, max_retries=3)

    assert failed.status == SyncRun.Status.FAILED
    assert set(Conversation.objects.values_list("external_id", flat=True)) == {"7000", "7001"}
    cursor = SyncCursor.objects.get(source="zendesk")
    # The after_cursor of page one, which the failed run had used to ask for page two.
    assert cursor.resume_token == fake_zendesk.export_queries[1]["cursor"]
    assert cursor.updated_since is None

    resumed = sync(zendesk_client)

    assert resumed.status == SyncRun.Status.SUCCEEDED
    assert fake_zendesk.export_queries[2] == {"cursor": cursor.resume_token, "per_page": "2"}
    assert resumed.created == 4
    assert Conversation.objects.count() == 6
    assert fake_zendesk.count(comments_path(7000)) == 1
    cursor.refresh_from_db()
    assert cursor.resume_token == ""
    assert cursor.updated_since == failed.started_at - timedelta(minutes=5)


def test_a_cursor_zendesk_no_longer_accepts_restarts_the_export_from_the_start_time(helpdesk, zendesk_client):
    since = datetime(2026, 11, 19, tzinfo=UTC)
    SyncCursor.objects.create(source="zendesk", resume_token="expired", updated_since=since, resume_since=since)

    run = sync(zendesk_client)

    assert run.status == SyncRun.Status.SUCCEEDED
    assert helpdesk.export_queries[0]["cursor"] == "expired"
    assert helpdesk.export_queries[1] == {"start_time": str(int(since.timestamp())), "per_page": "2"}
    assert Conversation.objects.count() == 5


def test_an_attachment_only_comment_is_kept_with_its_file(helpdesk, zendesk_client):
    screenshot = fake.comment(9001, author_id=helpdesk.tickets["5000"]["requester_id"], body="", created_at=BASE)
    screenshot.pop("html_body")
    screenshot["attachments"] = [
        {
            "id": 498483,
            "file_name": "crash.png",
            "content_url": "https://company.zendesk.com/attachments/crash.png",
            "content_type": "image/png",
            "size": 2532,
            "thumbnails": [],
        }
    ]
    helpdesk.comments["5000"].append(screenshot)

    sync(zendesk_client)

    message = Message.objects.get(external_id="9001")
    assert (message.author_kind, message.body_text) == (AuthorKind.CUSTOMER, "")
    assert list(message.attachments.values("name", "url", "content_type", "size")) == [
        {
            "name": "crash.png",
            "url": "https://company.zendesk.com/attachments/crash.png",
            "content_type": "image/png",
            "size": 2532,
        }
    ]


def test_wrong_types_skip_the_ticket_and_a_group_without_id_is_reported(helpdesk, zendesk_client):
    helpdesk.tickets["5001"]["tags"] = "billing"
    helpdesk.groups.append({"name": "No id", "deleted": False})

    run = sync(zendesk_client)

    assert run.status == SyncRun.Status.SUCCEEDED
    messages = dict(run.problems.values_list("external_id", "message"))
    assert messages["5001"] == "Ticket skipped: 'tags' should be a list, got text ('billing')."
    assert messages[""] == "Group skipped: it has no id."
    assert Conversation.objects.count() == 4
    assert sorted(Team.objects.values_list("name", flat=True)) == ["Billing", "Tier 2"]
