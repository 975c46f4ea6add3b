"""The Intercom sync over real HTTP against a local server that speaks the spec's shapes."""

import threading
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.utils import timezone

from conversations.models import Agent, AuthorKind, Conversation, Message, SyncCursor, SyncRun, Team
from conversations.services import conversations_sync
from conversations.tests import fake_intercom as fake

pytestmark = pytest.mark.django_db

BASE = int(datetime(2026, 11, 20, 9, 0, tzinfo=UTC).timestamp())


@pytest.fixture(autouse=True)
def morning_before_the_conversations():
    """Syncs run at 08:00, so conversations updated from 09:00 are newer than any cursor."""
    with time_machine.travel(datetime(2026, 11, 20, 8, 0, tzinfo=UTC), tick=True):
        yield


@pytest.fixture
def helpdesk(fake_intercom):
    fake_intercom.teams = [fake.team("700", "Billing", admin_ids=["101", "102"])]
    fake_intercom.admins = [
        fake.admin("101", "Maya Patel", "Maya@Ledgerly.example", team_ids=[700]),
        fake.admin("102", "John Smith", "john@ledgerly.example", team_ids=[700], away=True),
    ]
    for index in range(5):
        fake_intercom.put(
            fake.reviewable_conversation(
                str(5000 + index),
                updated_at=BASE + index * 60,
                admin_id="101" if index % 2 else "102",
                team_id="700",
                rating=index + 1 if index < 3 else None,
                remark="Great help" if index == 2 else "",
                tags=("billing",),
            )
        )
    return fake_intercom


def sync(intercom_client, since=None, **options):
    return conversations_sync(source="intercom", since=since, helpdesk=intercom_client(**options))


def test_it_stores_every_conversation_across_three_pages(helpdesk, intercom_client):
    run = sync(intercom_client)

    assert run.status == SyncRun.Status.SUCCEEDED
    assert (run.fetched, run.created, run.updated, run.kept, run.errors) == (5, 5, 0, 5, 0)
    assert helpdesk.count("POST", "/conversations/search") == 3
    assert Conversation.objects.count() == 5
    conversation = Conversation.objects.get(external_id="5002")
    assert conversation.assignee.name == "John Smith"
    assert conversation.team.name == "Billing"
    assert (conversation.csat_rating, conversation.csat_remark) == (3, "Great help")
    assert conversation.tags == ["billing"]
    assert conversation.state == "closed"
    assert conversation.url == (
        "https://app.intercom.com/a/inbox/this_is_an_id1_that_should_be_at_least_40/inbox/conversation/5002"
    )
    # The customer's opening message plus three agent replies and three customer answers.
    kinds = list(conversation.messages.values_list("author_kind", flat=True))
    assert kinds[0] == AuthorKind.CUSTOMER
    assert kinds.count(AuthorKind.AGENT) == 3
    assert kinds.count(AuthorKind.CUSTOMER) == 4
    assert (conversation.agent_message_count, conversation.customer_message_count) == (3, 4)
    # 14 words in the opening message and 8 in each answer; 11 in each agent reply.
    assert (conversation.customer_word_count, conversation.agent_word_count) == (14 + 3 * 8, 3 * 11)
    reply = conversation.messages.filter(author_kind=AuthorKind.AGENT).first()
    assert reply.author_agent.name == "John Smith"
    assert reply.body_text == "Thanks for the detail, here is step 1 of the fix."


def test_it_sends_the_bearer_token_and_api_version_and_searches_by_updated_at(helpdesk, intercom_client):
    client = intercom_client()
    assert client.http.session.headers["Authorization"] == f"Bearer {fake.TOKEN}"
    assert client.http.session.headers["Intercom-Version"] == "2.16"

    conversations_sync(source="intercom", helpdesk=client)

    first = helpdesk.search_bodies[0]
    assert first["query"] == {"field": "updated_at", "operator": ">", "value": 0}
    assert first["pagination"] == {"per_page": 2}
    assert "starting_after" in helpdesk.search_bodies[1]["pagination"]


def test_teams_and_teammates_come_from_intercom_and_link_to_users_by_email(helpdesk, intercom_client):
    maya = get_user_model().objects.create_user("maya", email="maya@ledgerly.example", password="x")

    sync(intercom_client)

    team = Team.objects.get(source="intercom", external_id="700")
    assert team.name == "Billing"
    maya_agent = Agent.objects.get(external_id="101")
    assert (maya_agent.team, maya_agent.user, maya_agent.email) == (team, maya, "maya@ledgerly.example")
    john = Agent.objects.get(external_id="102")
    assert john.is_away is True
    assert list(Agent.objects.unlinked()) == [john]


def test_a_teammates_replies_carry_the_teammates_name_not_the_name_on_the_part(helpdesk, intercom_client):
    sync(intercom_client)

    # Each part says "Admin 101"; the reviewer should see who that is.
    replies = Message.objects.filter(conversation__external_id="5001", author_kind=AuthorKind.AGENT)
    assert set(replies.values_list("author_name", flat=True)) == {"Maya Patel"}


def test_running_twice_on_the_same_data_duplicates_nothing_and_refetches_nothing(helpdesk, intercom_client):
    sync(intercom_client)
    details_fetched = helpdesk.count("GET", "/conversations/")

    # Asking again from before the first conversation lists all five again.
    second = sync(intercom_client, since=datetime(2026, 11, 1, tzinfo=UTC))

    assert Conversation.objects.count() == 5
    assert Message.objects.count() == 5 * 7
    assert (second.fetched, second.created, second.updated, second.unchanged) == (0, 0, 0, 5)
    assert helpdesk.count("GET", "/conversations/") == details_fetched


def test_a_changed_conversation_is_updated_in_place(helpdesk, intercom_client):
    sync(intercom_client)
    changed = fake.reviewable_conversation(
        "5001", updated_at=BASE + 7200, admin_id="101", replies=4, rating=1, remark="Still broken"
    )
    helpdesk.put(changed)

    run = sync(intercom_client)

    assert (run.created, run.updated) == (0, 1)
    conversation = Conversation.objects.get(external_id="5001")
    assert conversation.csat_rating == 1
    assert conversation.messages.count() == 9
    assert Conversation.objects.count() == 5


def test_the_next_run_asks_only_for_conversations_updated_since_the_last_one(helpdesk, intercom_client):
    first = sync(intercom_client)
    cursor = SyncCursor.objects.get(source="intercom")
    assert cursor.updated_since == first.started_at - timedelta(minutes=5)

    sync(intercom_client)

    assert helpdesk.search_bodies[-1]["query"]["value"] == int(cursor.updated_since.timestamp())


def test_after_a_run_from_a_given_day_the_next_run_asks_only_for_what_changed_since(helpdesk, intercom_client):
    backfill = sync(intercom_client, since=datetime(2026, 11, 1, tzinfo=UTC))

    sync(intercom_client)

    assert helpdesk.search_bodies[-1]["query"]["value"] == int((backfill.started_at - timedelta(minutes=5)).timestamp())


def test_it_waits_out_a_429_and_then_succeeds(helpdesk, intercom_client):
    helpdesk.fail("GET", "/conversations/5003", "429", retry_after="0.3")

    run = sync(intercom_client)

    assert run.status == SyncRun.Status.SUCCEEDED
    assert Conversation.objects.filter(external_id="5003").exists()
    assert helpdesk.count("GET", "/conversations/5003") == 2


def test_it_retries_server_errors_then_succeeds(helpdesk, intercom_client):
    helpdesk.fail("POST", "/conversations/search", "500", times=2)
    helpdesk.fail("GET", "/conversations/5000", "503")

    run = sync(intercom_client)

    assert run.status == SyncRun.Status.SUCCEEDED
    assert Conversation.objects.count() == 5


def test_it_retries_a_request_that_times_out(helpdesk, intercom_client):
    helpdesk.hang_seconds = 1.5
    helpdesk.fail("GET", "/conversations/5004", "timeout")

    run = sync(intercom_client, timeout=0.5)

    assert run.status == SyncRun.Status.SUCCEEDED
    assert Conversation.objects.filter(external_id="5004").exists()


def test_a_helpdesk_that_keeps_failing_fails_the_run_with_a_clear_message(helpdesk, intercom_client):
    helpdesk.fail("POST", "/conversations/search", "500", times=10)

    run = sync(intercom_client, max_retries=2)

    assert run.status == SyncRun.Status.FAILED
    assert "Intercom did not answer properly (HTTP 500) after 2 retries" in run.error_text
    assert Conversation.objects.count() == 0


def test_an_answer_that_is_not_json_is_retried(helpdesk, intercom_client):
    helpdesk.fail("POST", "/conversations/search", "garbage")

    run = sync(intercom_client)

    assert run.status == SyncRun.Status.SUCCEEDED
    assert Conversation.objects.count() == 5


def test_garbage_that_never_stops_fails_the_run_and_keeps_earlier_data(helpdesk, intercom_client):
    sync(intercom_client)
    helpdesk.put(fake.reviewable_conversation("5009", updated_at=BASE + 9000, admin_id="101"))
    helpdesk.fail("POST", "/conversations/search", "garbage", times=10)

    run = sync(intercom_client, max_retries=1)

    assert run.status == SyncRun.Status.FAILED
    assert "an answer that is not JSON" in run.error_text
    assert Conversation.objects.count() == 5


def test_a_malformed_conversation_is_logged_against_the_run_and_skipped(helpdesk, intercom_client):
    broken = fake.reviewable_conversation("5001", updated_at=BASE + 60, admin_id="101")
    broken["conversation_parts"]["conversation_parts"][0]["created_at"] = "not a time"
    helpdesk.put(broken)
    helpdesk.fail("POST", "/conversations/search", "malformed-search")

    run = sync(intercom_client)

    assert run.status == SyncRun.Status.SUCCEEDED
    assert run.errors == 1
    problems = {problem.external_id: problem.message for problem in run.problems.all()}
    assert problems == {"5001": "Conversation skipped: 'created_at' should be a Unix time, got text ('not a time')."}
    # A search hit whose updated_at cannot be read is fetched anyway: the conversation is fine.
    assert set(Conversation.objects.values_list("external_id", flat=True)) == {"5000", "5002", "5003", "5004"}


def test_a_rejected_token_stops_at_once_with_a_message_a_lead_understands(helpdesk, intercom_client):
    run = sync(intercom_client, access_token="revoked")

    assert run.status == SyncRun.Status.FAILED
    assert run.error_text.startswith("The Intercom token was rejected (HTTP 401).")
    assert "INTERCOM_ACCESS_TOKEN" in run.error_text
    assert helpdesk.log == [("GET", "/me")]
    assert Conversation.objects.count() == 0


def test_a_401_mid_sync_is_not_retried(helpdesk, intercom_client):
    helpdesk.fail("GET", "/conversations/5002", "401")

    run = sync(intercom_client)

    assert run.status == SyncRun.Status.FAILED
    assert "token was rejected" in run.error_text
    assert helpdesk.count("GET", "/conversations/5002") == 1


def test_a_run_that_dies_on_page_two_resumes_there_without_duplicates(fake_intercom, intercom_client):
    fake_intercom.admins = [fake.admin("101", "Maya Patel", "maya@ledgerly.example")]
    for index in range(6):
        fake_intercom.put(fake.reviewable_conversation(f"c{index}", updated_at=BASE + index, admin_id="101"))
    fake_intercom.fail("GET", "/conversations/c3", "500", times=4)

    failed = sync(intercom_client, max_retries=3)

    assert failed.status == SyncRun.Status.FAILED
    assert set(Conversation.objects.values_list("external_id", flat=True)) == {"c0", "c1"}
    cursor = SyncCursor.objects.get(source="intercom")
    assert cursor.resume_token
    assert cursor.updated_since is None

    resumed = sync(intercom_client)

    assert resumed.status == SyncRun.Status.SUCCEEDED
    assert fake_intercom.search_bodies[-2]["pagination"]["starting_after"] == cursor.resume_token
    assert resumed.created == 4
    assert Conversation.objects.count() == 6
    assert fake_intercom.count("GET", "/conversations/c0") == 1
    cursor.refresh_from_db()
    assert cursor.resume_token == ""
    assert cursor.updated_since == failed.started_at - timedelta(minutes=5)


def test_a_second_sync_of_the_same_source_does_nothing_while_one_holds_the_lock(helpdesk, intercom_client):
    assert SyncCursor.lock_acquire(source="intercom", owner="another-worker")

    run = sync(intercom_client)

    assert (run.source, run.status) == ("intercom", SyncRun.Status.SKIPPED)
    assert helpdesk.log == []
    assert Conversation.objects.count() == 0


def test_a_lock_left_by_a_killed_worker_expires(helpdesk, intercom_client):
    assert SyncCursor.lock_acquire(source="intercom", owner="killed-worker")
    SyncCursor.objects.filter(source="intercom").update(lock_expires_at=timezone.now() - timedelta(seconds=1))

    run = sync(intercom_client)

    assert run.status == SyncRun.Status.SUCCEEDED
    assert SyncCursor.objects.get(source="intercom").lock_owner == ""


def test_message_html_is_sanitised_at_ingest(fake_intercom, intercom_client):
    fake_intercom.admins = [fake.admin("101", "Maya Patel", "maya@ledgerly.example")]
    hostile = (
        '<p>See <a href="javascript:alert(1)">this</a> and <a href="https://ok.example/x">that</a></p>'
        "<script>alert('x')</script><img src=x onerror=alert(1)><svg onload=alert(2)><circle/></svg>"
        '<p onclick="steal()">Thanks for the quick help with my invoice totals yesterday</p>'
    )
    fake_intercom.put(fake.reviewable_conversation("x1", updated_at=BASE, admin_id="101", customer_body=hostile))

    sync(intercom_client)

    body = Message.objects.get(conversation__external_id="x1", external_id__startswith="source-").body_html
    for dangerous in ("<script", "javascript:", "onerror", "onload", "onclick", "<svg", "<img"):
        assert dangerous not in body
    assert '<a href="https://ok.example/x" rel="noopener noreferrer nofollow">that</a>' in body


@pytest.mark.django_db(transaction=True)
def test_two_syncs_started_together_never_both_run(helpdesk, intercom_client):
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("two threads writing at once need a server database: the PostgreSQL pass of scripts/test")
    helpdesk.latency = 0.05
    results = []

    def run_one():
        try:
            results.append(sync(intercom_client).status)
        finally:
            connection.close()

    threads = [threading.Thread(target=run_one) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(results) == [SyncRun.Status.SKIPPED, SyncRun.Status.SUCCEEDED]
    assert Conversation.objects.count() == 5


def test_an_interrupted_backfill_resumes_the_same_backfill(fake_intercom, intercom_client):
    fake_intercom.admins = [fake.admin("101", "Maya Patel", "maya@ledgerly.example")]
    for index in range(6):
        fake_intercom.put(
            fake.reviewable_conversation(f"b{index}", updated_at=BASE - 86400 * 30 + index, admin_id="101")
        )
    fake_intercom.fail("GET", "/conversations/b3", "500", times=4)
    backfill_from = datetime(2026, 10, 1, tzinfo=UTC)

    assert sync(intercom_client, since=backfill_from, max_retries=3).status == SyncRun.Status.FAILED
    resumed = sync(intercom_client)

    assert resumed.status == SyncRun.Status.SUCCEEDED
    assert fake_intercom.search_bodies[-1]["query"]["value"] == int(backfill_from.timestamp())
    assert Conversation.objects.count() == 6


def test_a_run_that_lost_its_lock_keeps_neither_its_page_nor_the_cursor(helpdesk, intercom_client):
    client = intercom_client()
    original_page = client._page

    def page_then_lose_the_lock(*args, **kwargs):
        # Another worker takes the source over while this one is fetching a page.
        SyncCursor.objects.filter(source="intercom").update(lock_owner="another-worker", resume_token="theirs")
        return original_page(*args, **kwargs)

    client._page = page_then_lose_the_lock

    run = conversations_sync(source="intercom", helpdesk=client)

    assert run.status == SyncRun.Status.FAILED
    # What the lead reads on the sync page.
    assert run.error_text == "This sync lost its lock to another run and stopped; its last page was not kept."
    assert Conversation.objects.count() == 0
    cursor = SyncCursor.objects.get(source="intercom")
    assert (cursor.lock_owner, cursor.resume_token) == ("another-worker", "theirs")


def test_a_run_cut_off_by_a_killed_worker_is_marked_failed_by_the_next(helpdesk, intercom_client):
    finished = sync(intercom_client)
    cut_off = SyncRun.objects.create(source="intercom")  # its worker died: no finish, no lock

    sync(intercom_client)

    cut_off.refresh_from_db()
    assert cut_off.status == SyncRun.Status.FAILED
    assert cut_off.finished_at is not None
    assert cut_off.error_text == ("The worker stopped during this run; the next run resumed from its last stored page.")
    # A run that finished stays as it finished.
    finished.refresh_from_db()
    assert (finished.status, finished.error_text) == (SyncRun.Status.SUCCEEDED, "")


def test_a_skipped_run_does_not_finish_before_it_starts(helpdesk, intercom_client):
    SyncCursor.lock_acquire(source="intercom", owner="another-worker")

    run = sync(intercom_client)

    assert run.started_at == run.finished_at


def test_a_sync_leaves_the_running_sync_of_another_helpdesk_alone(helpdesk, intercom_client):
    zendesk_run = SyncRun.objects.create(source="zendesk")

    sync(intercom_client)

    zendesk_run.refresh_from_db()
    assert (zendesk_run.status, zendesk_run.finished_at, zendesk_run.error_text) == (SyncRun.Status.RUNNING, None, "")


def three_slow_pages(before_request, clock, *, then):
    """The second and third searches each answer 50 s later; `then()` runs as the third goes out."""
    before_request("/conversations/search", lambda: None)
    before_request("/conversations/search", lambda: clock.shift(50))

    def third() -> None:
        clock.shift(50)
        then()

    before_request("/conversations/search", third)


def test_each_stored_page_renews_the_lock_so_a_long_run_is_not_taken_over(
    helpdesk, intercom_client, settings, before_request
):
    settings.SYNC_LOCK_SECONDS = 60
    others = []
    with time_machine.travel(timezone.now(), tick=True) as clock:
        # 100 s in, the lock taken at the start has run out, but the one renewed at 50 s has not.
        three_slow_pages(before_request, clock, then=lambda: others.append(sync(intercom_client)))

        run = sync(intercom_client)

    assert (run.status, run.created) == (SyncRun.Status.SUCCEEDED, 5)
    assert [other.status for other in others] == [SyncRun.Status.SKIPPED]


def test_a_run_that_stops_renewing_its_lock_is_taken_over_once_it_runs_out(
    helpdesk, intercom_client, settings, before_request
):
    settings.SYNC_LOCK_SECONDS = 60
    others = []
    with time_machine.travel(timezone.now(), tick=True) as clock:

        def stalled_past_the_lock() -> None:
            clock.shift(20)  # 120 s in: 70 s since the lock was last renewed
            others.append(sync(intercom_client))

        three_slow_pages(before_request, clock, then=stalled_past_the_lock)

        run = sync(intercom_client)

    assert [other.status for other in others] == [SyncRun.Status.SUCCEEDED]
    assert run.status == SyncRun.Status.FAILED
    assert "lost its lock" in run.error_text
    assert Conversation.objects.count() == 5


def test_exclusions_are_counted_across_every_page_of_the_run(fake_intercom, intercom_client):
    fake_intercom.admins = [fake.admin("101", "Maya Patel", "maya@ledgerly.example")]
    for index in range(3):
        fake_intercom.put(fake.reviewable_conversation(f"b{index}", updated_at=BASE + index, admin_id="101", replies=0))
    fake_intercom.put(fake.reviewable_conversation("kept", updated_at=BASE + 10, admin_id="101"))

    run = sync(intercom_client)

    assert fake_intercom.count("POST", "/conversations/search") == 2
    assert (run.kept, run.excluded_counts) == (1, {"bot_only": 3})
