"""The HTTP client every connector shares, against answers shaped like Intercom's and Zendesk's.

Time is fake: the client's clock moves only when it sleeps, so every wait is asserted to the
second without a test waiting for it. `responses` stands in for the network; one test cuts a
real loopback connection.
"""

from __future__ import annotations

import json
import logging
import os
import random
import re
from collections import deque
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
import requests
import responses
from hypothesis import given, settings
from hypothesis import strategies as st
from requests.structures import CaseInsensitiveDict

from conversations.helpdesks.errors import HelpdeskAuthError, HelpdeskRequestError, HelpdeskUnavailable
from conversations.helpdesks.http import HelpdeskHTTP, RateLimiter
from conversations.tests.fake_server import LoopbackServer

START = datetime(2026, 11, 20, 9, 0, tzinfo=UTC).timestamp()
INTERCOM = "https://api.intercom.io"
ZENDESK = "https://ledgerly.zendesk.com"
VENDORS = {"Intercom": (INTERCOM, "INTERCOM_ACCESS_TOKEN"), "Zendesk": (ZENDESK, "ZENDESK_EMAIL and ZENDESK_API_TOKEN")}
ME = {"type": "admin", "id": "991267", "app": {"type": "app", "id_code": "this1s4nap"}}
INTERCOM_NOT_FOUND = {
    "type": "error.list",
    "request_id": "79abd27a-1bfb-42ec-a404-5728c76ba773",
    "errors": [{"code": "not_found", "message": "Resource Not Found"}],
}
INTERCOM_TOO_MANY = {
    "type": "error.list",
    "errors": [{"code": "rate_limit_exceeded", "message": "Exceeded rate limit of 167 in 10_seconds"}],
}
ZENDESK_TOO_MANY = "Rate limit for ticket updates exceeded, please wait before updating this ticket again"


def intercom_limits(remaining: int, reset_at: float, limit: int = 167) -> dict[str, str]:
    """Intercom's headers: the window's budget, what is left, and its reset as a Unix time."""
    return {
        "X-RateLimit-Limit": str(limit),
        "X-RateLimit-Remaining": str(remaining),
        "X-RateLimit-Reset": str(int(reset_at)),
    }


def zendesk_limits(remaining: int, reset_in: int, limit: int = 700) -> dict[str, str]:
    """Zendesk's headers on list endpoints: the reset is a number of seconds from now."""
    return {
        "x-rate-limit": str(limit),
        "x-rate-limit-remaining": str(remaining),
        "ratelimit-limit": str(limit),
        "ratelimit-remaining": str(remaining),
        "ratelimit-reset": str(reset_in),
    }


def zendesk_account_limits(remaining: int, limit: int = 700) -> dict[str, str]:
    """Zendesk's headers elsewhere: what is left of the minute, but not when it resets."""
    return {"X-Rate-Limit": str(limit), "X-Rate-Limit-Remaining": str(remaining)}


def http_date(timestamp: float) -> str:
    return datetime.fromtimestamp(timestamp, tz=UTC).strftime("%a, %d %b %Y %H:%M:%S GMT")


class FakeTime:
    """The client's clock and sleep. Time moves only while the client sleeps.

    `meanwhile` holds what other threads do while this one sleeps (requests sent, answers
    arriving); they run at the start of the next sleep, and the sleeper wakes when it would have.
    """

    def __init__(self) -> None:
        self.now = START
        self.sleeps: list[float] = []
        self.meanwhile: deque[Callable[[], object]] = deque()

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        if not seconds >= 0:  # as time.sleep refuses negative and NaN durations
            raise ValueError(f"sleep length must be non-negative, not {seconds}")
        if len(self.sleeps) >= 1000:
            raise AssertionError("the client never stops waiting")
        self.sleeps.append(seconds)
        wake_at = self.now + seconds
        while self.meanwhile:
            self.meanwhile.popleft()()
        self.now = max(self.now, wake_at)


class Helpdesk:
    """The network edge: answers given out in order, and what each request was and when it went."""

    def __init__(self, mock: responses.RequestsMock, time: FakeTime) -> None:
        self.time = time
        self.answers: deque[tuple[int, dict[str, str], str] | BaseException] = deque()
        self.requests: list[requests.PreparedRequest] = []
        self.sent_at: list[float] = []
        for method in (responses.GET, responses.POST):
            mock.add_callback(method, re.compile(r"https?://.*"), callback=self._reply)

    def answer(self, status: int = 200, body: Any = ME, headers: dict[str, str] | None = None, times: int = 1) -> None:
        if isinstance(body, str):
            content_type, text = "text/html; charset=utf-8", body
        else:
            content_type, text = "application/json; charset=utf-8", json.dumps(body)
        for _ in range(times):
            self.answers.append((status, {"Content-Type": content_type, **(headers or {})}, text))

    def fail(self, error: BaseException, times: int = 1) -> None:
        for _ in range(times):
            self.answers.append(error)

    def _reply(self, request: requests.PreparedRequest) -> tuple[int, dict[str, str], str]:
        self.requests.append(request)
        self.sent_at.append(self.time.now)
        # An error the client would retry could hide a request too many: this one it cannot.
        assert self.answers, f"one request more than the helpdesk expected: {request.method} {request.url}"
        answer = self.answers.popleft()
        if isinstance(answer, BaseException):
            raise answer
        return answer


def highest(low: float, high: float) -> float:
    """Jitter pinned to the longest wait it allows."""
    return high


def lowest(low: float, high: float) -> float:
    return low


@pytest.fixture
def fake_time() -> FakeTime:
    return FakeTime()


@pytest.fixture
def helpdesk(fake_time):
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield Helpdesk(mock, fake_time)


@pytest.fixture
def client(fake_time):
    """The client as a connector builds it, on the fake clock, its jitter pinned to the longest wait."""

    def make(vendor: str = "Intercom", **options: Any) -> HelpdeskHTTP:
        base_url, credential_hint = VENDORS[vendor]
        options = {"base_url": base_url, "uniform": highest, **options}
        return HelpdeskHTTP(
            vendor=vendor, credential_hint=credential_hint, clock=fake_time.clock, sleep=fake_time.sleep, **options
        )

    return make


@pytest.fixture
def limiter(fake_time) -> RateLimiter:
    return RateLimiter(clock=fake_time.clock, sleep=fake_time.sleep)


# --- answers ----------------------------------------------------------------------------------


def test_it_returns_the_json_of_a_200_and_sends_what_it_was_asked_to(helpdesk, client, fake_time):
    helpdesk.answer(body=ME)
    helpdesk.answer(body={"type": "conversation.list", "conversations": []})
    http = client(base_url=f"{INTERCOM}/", headers={"Intercom-Version": "2.16"}, timeout=12.5)

    assert http.get("/me", params={"per_page": 2}) == ME
    assert http.post("/conversations/search", json={"query": {"field": "id"}}) == {
        "type": "conversation.list",
        "conversations": [],
    }

    fetched, searched = helpdesk.requests
    assert (fetched.method, fetched.url) == ("GET", "https://api.intercom.io/me?per_page=2")
    assert fetched.headers["Accept"] == "application/json"
    assert fetched.headers["Intercom-Version"] == "2.16"
    assert fetched.req_kwargs["timeout"] == 12.5
    assert (searched.method, searched.url) == ("POST", "https://api.intercom.io/conversations/search")
    assert json.loads(searched.body) == {"query": {"field": "id"}}
    assert fake_time.sleeps == []


def test_it_follows_a_pagination_link_as_given_and_signs_in_with_the_auth_it_was_given(helpdesk, client):
    helpdesk.answer(body={"users": []})
    http = client("Zendesk", auth=("api-admin@ledgerly.example/token", "secret"))

    http.get(f"{ZENDESK}/api/v2/users.json?page%5Bafter%5D=xyz")

    (request,) = helpdesk.requests
    assert request.url == f"{ZENDESK}/api/v2/users.json?page%5Bafter%5D=xyz"
    assert request.headers["Authorization"].startswith("Basic ")


@pytest.mark.parametrize("status", [401, 403])
def test_a_rejected_token_says_which_setting_to_check_and_is_not_retried(helpdesk, client, status):
    helpdesk.answer(status, {"error": "Couldn't authenticate you"})

    with pytest.raises(HelpdeskAuthError) as error:
        client("Zendesk").get("/api/v2/users/me.json")

    assert str(error.value) == (
        f"The Zendesk token was rejected (HTTP {status}). "
        "Check ZENDESK_EMAIL and ZENDESK_API_TOKEN and that it may read conversations."
    )
    assert len(helpdesk.requests) == 1


@pytest.mark.parametrize(
    ("status", "body", "explanation"),
    [
        (400, {"error": "InvalidValue", "description": "start_time or cursor is required"}, '"InvalidValue"'),
        (404, INTERCOM_NOT_FOUND, '"Resource Not Found"'),
        (422, {"error": "InvalidPaginationParameter", "description": "Invalid cursor"}, "Invalid cursor"),
    ],
)
def test_a_refused_request_is_a_clear_error_never_data(helpdesk, client, fake_time, status, body, explanation):
    helpdesk.answer(status, body)

    with pytest.raises(HelpdeskRequestError) as error:
        client().get("/conversations/123")

    assert str(error.value).startswith(f"Intercom refused GET /conversations/123 (HTTP {status}): {{")
    assert explanation in str(error.value)
    assert len(helpdesk.requests) == 1
    assert fake_time.sleeps == []


def test_a_refusal_quotes_only_the_start_of_a_long_answer(helpdesk, client):
    helpdesk.answer(400, "x" * 1000)

    with pytest.raises(HelpdeskRequestError) as error:
        client().post("/conversations/search", json={})

    assert str(error.value) == "Intercom refused POST /conversations/search (HTTP 400): " + "x" * 300


def test_it_keeps_a_connection_open_for_each_worker(client):
    http = client(pool_size=16)

    for url in (INTERCOM, "http://127.0.0.1:8000"):
        assert http.session.get_adapter(url).poolmanager.connection_pool_kw["maxsize"] == 16


# --- retries ----------------------------------------------------------------------------------


def test_a_timeout_is_retried_after_a_pause_and_then_the_answer_is_used(helpdesk, client, fake_time):
    helpdesk.fail(requests.ReadTimeout("Read timed out. (read timeout=30)"))
    helpdesk.answer(body=ME)

    assert client().get("/me") == ME
    assert helpdesk.sent_at == [START, START + 1]


def test_timeouts_are_retried_a_bounded_number_of_times(helpdesk, client, fake_time):
    helpdesk.fail(requests.ReadTimeout("Read timed out. (read timeout=30)"), times=4)

    with pytest.raises(HelpdeskUnavailable) as error:
        client(max_retries=3, timeout=30).get("/me")

    assert str(error.value) == (
        "Intercom did not answer properly (ReadTimeout after 30s) after 3 retries of GET https://api.intercom.io/me."
    )
    assert len(helpdesk.requests) == 4
    assert len(fake_time.sleeps) == 3


def test_a_refused_connection_is_retried_and_named_for_what_it_was(helpdesk, client):
    helpdesk.fail(requests.ConnectionError("Connection refused"), times=2)

    with pytest.raises(HelpdeskUnavailable) as error:
        client(max_retries=1).get("/me")

    assert "(ConnectionError) after 1 retries of GET" in str(error.value)
    assert len(helpdesk.requests) == 2


class CutsOffTheFirstAnswer(LoopbackServer):
    """Promises a body and hangs up halfway through it, once; then answers properly."""

    def __init__(self) -> None:
        self.requests = 0

    def _handle(self, handler, method):
        self.requests += 1
        if self.requests == 1:
            handler.send_response(200)
            handler.send_header("Content-Type", "application/json")
            handler.send_header("Content-Length", "100")
            handler.end_headers()
            handler.wfile.write(b'{"type": "ad')
            handler.close_connection = True
            return
        self._send(handler, 200, ME, {})


def test_a_connection_cut_off_mid_answer_is_retried(client, fake_time):
    with CutsOffTheFirstAnswer() as server:
        http = client(base_url=server.url)

        assert http.get("/me") == ME

    assert server.requests == 2
    assert fake_time.sleeps == [1.0]


@pytest.mark.parametrize("status", [500, 502, 503])
def test_server_errors_are_retried_a_bounded_number_of_times(helpdesk, client, status):
    helpdesk.answer(status, {"error": "ServerError"}, times=3)

    with pytest.raises(HelpdeskUnavailable) as error:
        client("Zendesk", max_retries=2).get("/api/v2/groups.json")

    assert str(error.value) == (
        f"Zendesk did not answer properly (HTTP {status}) after 2 retries of GET "
        "https://ledgerly.zendesk.com/api/v2/groups.json."
    )
    assert len(helpdesk.requests) == 3


def test_a_server_error_then_an_answer_succeeds(helpdesk, client):
    helpdesk.answer(500, {"error": "ServerError"})
    helpdesk.answer(body={"groups": []})

    assert client("Zendesk").get("/api/v2/groups.json") == {"groups": []}


def test_an_answer_that_is_not_json_is_retried_and_then_given_up_on(helpdesk, client):
    helpdesk.answer(200, "<html>502 Bad Gateway</html>")
    helpdesk.answer(body=ME)
    helpdesk.answer(200, "<html>502 Bad Gateway</html>", times=3)
    http = client(max_retries=2)

    assert http.get("/me") == ME
    with pytest.raises(HelpdeskUnavailable) as error:
        http.get("/me")

    assert str(error.value) == (
        "Intercom did not answer properly (an answer that is not JSON) after 2 retries of GET https://api.intercom.io/me."
    )
    assert len(helpdesk.requests) == 5


def test_every_kind_of_failure_counts_towards_the_same_retries(helpdesk, client):
    helpdesk.fail(requests.ReadTimeout("Read timed out."))
    helpdesk.answer(503, {"error": "ServiceUnavailable"})
    helpdesk.answer(200, "<html>502 Bad Gateway</html>")

    with pytest.raises(HelpdeskUnavailable, match=r"\(an answer that is not JSON\) after 2 retries"):
        client(max_retries=2).get("/me")


def test_the_backoff_doubles_with_every_failure_up_to_a_minute(helpdesk, client, fake_time):
    helpdesk.answer(503, {"error": "ServiceUnavailable"}, times=9)

    with pytest.raises(HelpdeskUnavailable):
        client(max_retries=8, backoff_base=1.0, uniform=highest).get("/me")

    assert fake_time.sleeps == [1, 2, 4, 8, 16, 32, 60, 60]


def test_the_jitter_never_waits_less_than_half_the_backoff(helpdesk, client, fake_time):
    helpdesk.fail(requests.ReadTimeout("Read timed out."))
    helpdesk.answer(503, {"error": "ServiceUnavailable"})
    helpdesk.answer(200, "<html>502 Bad Gateway</html>")
    helpdesk.answer(503, {"error": "ServiceUnavailable"}, times=2)

    with pytest.raises(HelpdeskUnavailable):
        client(max_retries=4, backoff_base=0.5, uniform=lowest).get("/me")

    assert fake_time.sleeps == [0.25, 0.5, 1, 2]


def test_jittered_waits_grow_exponentially_within_their_bounds(helpdesk, client, fake_time):
    helpdesk.fail(requests.ReadTimeout("Read timed out."), times=7)

    with pytest.raises(HelpdeskUnavailable):
        client(max_retries=6, backoff_base=1.0, uniform=random.Random(20261120).uniform).get("/me")

    backoffs = [1, 2, 4, 8, 16, 32]
    assert len(fake_time.sleeps) == len(backoffs)
    for slept, backoff in zip(fake_time.sleeps, backoffs, strict=True):
        assert backoff / 2 <= slept <= backoff
    # Jitter spreads the waits: several workers retrying together do not stay in step.
    assert len({slept / backoff for slept, backoff in zip(fake_time.sleeps, backoffs, strict=True)}) > 1


def test_by_default_it_waits_thirty_seconds_and_retries_five_times_from_a_second(helpdesk, fake_time):
    helpdesk.fail(requests.ReadTimeout("Read timed out."), times=6)
    http = HelpdeskHTTP(
        vendor="Intercom",
        base_url=INTERCOM,
        credential_hint="INTERCOM_ACCESS_TOKEN",
        clock=fake_time.clock,
        sleep=fake_time.sleep,
        uniform=highest,
    )

    with pytest.raises(HelpdeskUnavailable, match=r"\(ReadTimeout after 30s\) after 5 retries"):
        http.get("/me")

    assert helpdesk.requests[0].req_kwargs["timeout"] == 30.0
    assert fake_time.sleeps == [1, 2, 4, 8, 16]


def test_each_retry_is_logged_with_its_wait(helpdesk, client, caplog):
    helpdesk.answer(503, {"error": "ServiceUnavailable"})
    helpdesk.answer(body={"groups": []})

    with caplog.at_level(logging.INFO, logger="conversations.helpdesks.http"):
        client("Zendesk").get("/api/v2/groups.json")

    assert logged(caplog) == [
        (logging.WARNING, "Zendesk: HTTP 503 on GET https://ledgerly.zendesk.com/api/v2/groups.json; retry 1 in 1.00s")
    ]


def logged(caplog) -> list[tuple[int, str]]:
    return [(record.levelno, record.getMessage()) for record in caplog.records if record.name.startswith("conv")]


@pytest.mark.parametrize(
    ("retry_after", "waited"),
    [("30", 30.0), (http_date(START + 20), 20.0), ("0.2", 1.0), ("7200", 60.0), ("in a while", 1.0)],
)
def test_a_503_comes_back_no_sooner_than_its_retry_after_asks_nor_later_than_a_minute(
    helpdesk, client, fake_time, retry_after, waited
):
    helpdesk.answer(503, {"error": "ServiceUnavailable"}, headers={"Retry-After": retry_after})
    helpdesk.answer(body={"groups": []})

    client("Zendesk", backoff_base=1.0).get("/api/v2/groups.json")

    assert fake_time.sleeps == [waited]
    assert helpdesk.sent_at == [START, START + waited]


# --- 429 Too Many Requests ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("retry_after", "waited"),
    [("7", 7.0), ("0.5", 0.5), (http_date(START + 45), 45.0), ("3600", 60.0)],
)
def test_a_429_waits_as_long_as_retry_after_says_up_to_a_minute(helpdesk, client, fake_time, retry_after, waited):
    helpdesk.answer(429, ZENDESK_TOO_MANY, headers={"Retry-After": retry_after})
    helpdesk.answer(body={"groups": []})

    assert client("Zendesk").get("/api/v2/groups.json") == {"groups": []}

    assert fake_time.sleeps == [waited]
    assert helpdesk.sent_at == [START, START + waited]


def test_an_intercom_429_waits_until_the_reset_time_it_names(helpdesk, client, fake_time):
    helpdesk.answer(429, INTERCOM_TOO_MANY, headers=intercom_limits(0, reset_at=START + 8))
    helpdesk.answer(body=ME, headers=intercom_limits(166, reset_at=START + 18))

    assert client().get("/me") == ME

    assert helpdesk.sent_at == [START, START + 8]
    assert fake_time.sleeps == [8.0]


def test_a_zendesk_429_without_retry_after_waits_the_seconds_of_ratelimit_reset(helpdesk, client, fake_time):
    helpdesk.answer(429, ZENDESK_TOO_MANY, headers=zendesk_limits(0, reset_in=12))
    helpdesk.answer(body={"groups": []}, headers=zendesk_limits(699, reset_in=60))

    client("Zendesk").get("/api/v2/groups.json")

    assert helpdesk.sent_at == [START, START + 12]


def test_an_unreadable_retry_after_falls_back_to_the_reset_header(helpdesk, client):
    headers = {**zendesk_limits(0, reset_in=12), "Retry-After": "soon"}
    helpdesk.answer(429, ZENDESK_TOO_MANY, headers=headers)
    helpdesk.answer(body={"groups": []})

    client("Zendesk").get("/api/v2/groups.json")

    assert helpdesk.sent_at == [START, START + 12]


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Retry-After": "0"},
        {"Retry-After": "nan"},
        {"Retry-After": http_date(START - 30)},
        # Our clock is ahead of Intercom's: the reset it names has already passed here.
        intercom_limits(0, reset_at=START - 2),
    ],
    ids=["no-hint", "retry-after-zero", "retry-after-nan", "retry-after-in-the-past", "reset-in-the-past"],
)
def test_a_429_without_a_usable_hint_still_backs_off_before_retrying(helpdesk, client, fake_time, headers):
    helpdesk.answer(429, {"type": "error.list", "errors": [{"code": "rate_limit_exceeded"}]}, headers=headers)
    helpdesk.answer(body=ME)

    assert client(backoff_base=2.0).get("/me") == ME

    assert helpdesk.sent_at == [START, START + 2]


def test_it_gives_up_on_a_helpdesk_that_never_stops_answering_429(helpdesk, client, fake_time):
    helpdesk.answer(429, "Too Many Requests", times=21)

    with pytest.raises(HelpdeskUnavailable) as error:
        client(max_retries=1).get("/me")

    assert str(error.value) == "Intercom kept answering 'too many requests'; the sync will try again later."
    assert len(helpdesk.requests) == 21
    assert fake_time.sleeps == [1.0] * 20


def test_429s_do_not_use_up_the_retries_for_failures(helpdesk, client):
    helpdesk.answer(429, ZENDESK_TOO_MANY, headers={"Retry-After": "1"}, times=3)
    helpdesk.answer(503, {"error": "ServiceUnavailable"})
    helpdesk.answer(body={"groups": []})

    assert client("Zendesk", max_retries=1).get("/api/v2/groups.json") == {"groups": []}


def test_a_429_makes_every_thread_wait_not_only_the_one_told(helpdesk, client, fake_time):
    http = client("Zendesk")
    helpdesk.answer(429, ZENDESK_TOO_MANY, headers={"Retry-After": "7"})
    helpdesk.answer(body={"groups": []})  # the other thread's request
    helpdesk.answer(body={"user": {}})  # the retry
    # While the first thread waits, another one wants a page.
    fake_time.meanwhile.append(lambda: http.get("/api/v2/groups.json"))

    assert http.get("/api/v2/users/me.json") == {"user": {}}

    assert helpdesk.sent_at == [START, START + 7, START + 7]


def test_a_rate_limit_wait_is_logged(helpdesk, client, caplog):
    helpdesk.answer(429, ZENDESK_TOO_MANY, headers={"Retry-After": "7"})
    helpdesk.answer(body={"groups": []})

    with caplog.at_level(logging.INFO, logger="conversations.helpdesks.http"):
        client("Zendesk").get("/api/v2/groups.json")

    assert logged(caplog) == [(logging.INFO, "Zendesk: rate limited, waiting 7.00s")]


# --- the rate-limit budget, through the client ------------------------------------------------


def test_it_pauses_before_intercoms_budget_runs_out_until_the_window_resets(helpdesk, client, fake_time):
    for remaining in (2, 1, 0):
        helpdesk.answer(body=ME, headers=intercom_limits(remaining, reset_at=START + 10, limit=3))
    helpdesk.answer(body=ME, headers=intercom_limits(2, reset_at=START + 20, limit=3))
    http = client()

    for _ in range(4):
        http.get("/me")

    # The fourth request waited for the new window instead of drawing a 429.
    assert helpdesk.sent_at == [START, START, START, START + 10]
    assert fake_time.sleeps == [10.0]


def test_it_reads_zendesks_reset_as_seconds_from_now(helpdesk, client, fake_time):
    helpdesk.answer(body={"groups": []}, headers=zendesk_limits(1, reset_in=41))
    helpdesk.answer(body={"groups": []}, headers=zendesk_limits(0, reset_in=41))
    helpdesk.answer(body={"groups": []}, headers=zendesk_limits(699, reset_in=60))
    http = client("Zendesk")

    for _ in range(3):
        http.get("/api/v2/groups.json")

    assert helpdesk.sent_at == [START, START, START + 41]


def test_a_reset_two_minutes_off_is_still_waited_for(helpdesk, client, fake_time):
    helpdesk.answer(body={"groups": []}, headers=zendesk_limits(0, reset_in=120))
    helpdesk.answer(body={"groups": []}, headers=zendesk_limits(699, reset_in=60))
    http = client("Zendesk")

    for _ in range(2):
        http.get("/api/v2/groups.json")

    assert helpdesk.sent_at == [START, START + 120]


def test_a_reset_an_hour_off_does_not_hold_the_sync_up_for_an_hour(helpdesk, client, fake_time):
    # Our clock is an hour behind Intercom's, so its 10-second windows seem to end an hour from now.
    skewed = START + 3600
    helpdesk.answer(body=ME, headers=intercom_limits(1, reset_at=skewed + 10))
    helpdesk.answer(body=ME, headers=intercom_limits(0, reset_at=skewed + 10))
    helpdesk.answer(body=ME, headers=intercom_limits(166, reset_at=skewed + 20))
    http = client()

    for _ in range(3):
        http.get("/me")

    # The budget still counts; the reset is unknown, so it looks again after a second.
    assert helpdesk.sent_at == [START, START, START + 1]


def test_every_new_window_brings_a_fresh_budget(helpdesk, client, fake_time):
    helpdesk.answer(body=ME, headers=intercom_limits(0, reset_at=START + 10, limit=3))
    for window_ends in (START + 20, START + 30):
        for remaining in (2, 1, 0):
            helpdesk.answer(body=ME, headers=intercom_limits(remaining, reset_at=window_ends, limit=3))
    http = client()

    for _ in range(7):
        http.get("/me")

    assert helpdesk.sent_at == [START] + [START + 10] * 3 + [START + 20] * 3


def test_without_a_reset_time_it_looks_again_every_second(helpdesk, client, fake_time):
    helpdesk.answer(body={"user": {}}, headers=zendesk_account_limits(0))
    helpdesk.answer(body={"user": {}}, headers=zendesk_account_limits(0))
    helpdesk.answer(body={"user": {}}, headers=zendesk_account_limits(699))
    helpdesk.answer(body={"user": {}}, headers=zendesk_account_limits(698))
    http = client("Zendesk")

    for _ in range(4):
        http.get("/api/v2/users/me.json")

    assert helpdesk.sent_at == [START, START + 1, START + 2, START + 2]


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"X-RateLimit-Remaining": "plenty", "X-RateLimit-Reset": "later"},
        {"X-RateLimit-Remaining": "Infinity", "X-RateLimit-Reset": "1e400"},
    ],
    ids=["none", "unreadable", "infinite"],
)
def test_a_helpdesk_without_readable_rate_limit_headers_is_never_held_back(helpdesk, client, fake_time, headers):
    helpdesk.answer(body=ME, headers=headers, times=30)
    http = client()

    for _ in range(30):
        http.get("/me")

    assert fake_time.sleeps == []


# --- the limiter, with requests in flight -----------------------------------------------------


def headers(values: dict[str, str]) -> CaseInsensitiveDict[str]:
    """As requests hands them over: names in any case."""
    return CaseInsensitiveDict(values)


def test_without_rate_limit_headers_requests_in_flight_never_wait(limiter, fake_time):
    tickets = [limiter.acquire() for _ in range(5)]
    limiter.release(tickets[0], headers({}))

    limiter.acquire()

    assert fake_time.sleeps == []


def test_its_own_count_stops_requests_in_flight_at_the_budget(limiter, fake_time):
    limiter.release(limiter.acquire(), headers(intercom_limits(3, reset_at=START + 10)))

    for _ in range(3):
        limiter.acquire()  # none of them answered yet
    assert fake_time.sleeps == []
    limiter.acquire()

    assert fake_time.sleeps == [10.0]


def test_requests_already_in_flight_count_against_the_first_answer(limiter, fake_time):
    first, second, _ = limiter.acquire(), limiter.acquire(), limiter.acquire()
    # The first answer may not have counted the two requests sent after it.
    limiter.release(first, headers(intercom_limits(3, reset_at=START + 10)))
    # An answer that counted fewer of them cannot give the budget back.
    limiter.release(second, headers(intercom_limits(2, reset_at=START + 10)))

    limiter.acquire()
    assert fake_time.sleeps == []
    limiter.acquire()

    assert fake_time.sleeps == [10.0]


def test_the_helpdesks_count_lowers_the_budget_when_others_spent_it(limiter, fake_time):
    limiter.release(limiter.acquire(), headers(zendesk_limits(5, reset_in=30)))
    fake_time.now += 0.6
    # Another worker on the same account spent most of the rest. Zendesk's seconds are whole,
    # so the same window's reset now reads 0.4 s earlier.
    limiter.release(limiter.acquire(), headers(zendesk_limits(1, reset_in=29)))

    limiter.acquire()
    assert fake_time.sleeps == []
    limiter.acquire()

    assert fake_time.sleeps == [pytest.approx(29.4)]


def test_after_a_reset_one_request_finds_out_the_new_budget_before_the_others_go(limiter, fake_time):
    limiter.release(limiter.acquire(), headers(intercom_limits(0, reset_at=START + 10)))
    probe = limiter.acquire()
    assert fake_time.sleeps == [10.0]
    events = []

    def probe_answered():
        events.append("probe answered")
        limiter.release(probe, headers(intercom_limits(2, reset_at=START + 20)))

    fake_time.meanwhile.append(probe_answered)
    limiter.acquire()
    events.append("next request sent")
    limiter.acquire()  # the last of the new budget
    limiter.acquire()

    assert events == ["probe answered", "next request sent"]
    # The others waited only a moment for the probe, then spent the window and waited for the next.
    assert fake_time.sleeps == [10.0, 0.005, pytest.approx(10.0 - 0.005)]


@pytest.mark.parametrize(
    "failure", [requests.ReadTimeout("Read timed out."), requests.TooManyRedirects("Exceeded 30 redirects.")]
)
def test_a_probe_that_fails_does_not_hold_the_others_back(helpdesk, client, fake_time, failure):
    helpdesk.answer(body=ME, headers=intercom_limits(0, reset_at=START + 10))
    helpdesk.fail(failure)
    helpdesk.answer(body=ME, headers=intercom_limits(5, reset_at=START + 20))
    http = client(max_retries=0)
    http.get("/me")

    with pytest.raises((HelpdeskUnavailable, requests.TooManyRedirects)):
        http.get("/me")  # the first request of the new window
    http.get("/me")

    assert helpdesk.sent_at == [START, START + 10, START + 10]


def test_a_late_answer_from_a_window_that_has_reset_is_ignored(limiter, fake_time):
    limiter.release(limiter.acquire(), headers(intercom_limits(1, reset_at=START + 10)))
    slow = limiter.acquire()  # the last of the old window, answered late
    probe = limiter.acquire()  # the first of the new window
    assert fake_time.sleeps == [10.0]
    # Four left, less the slow request, which may yet count against the new window.
    limiter.release(probe, headers(intercom_limits(4, reset_at=START + 20)))

    limiter.release(slow, headers(intercom_limits(0, reset_at=START + 10)))
    for _ in range(3):
        limiter.acquire()

    assert fake_time.sleeps == [10.0]


def test_a_late_zendesk_answer_is_recognised_though_its_reset_has_drifted(limiter, fake_time):
    limiter.release(limiter.acquire(), headers(zendesk_limits(1, reset_in=41)))
    slow = limiter.acquire()
    limiter.acquire()  # waits out the window, then probes
    assert fake_time.now == START + 41
    # Sent in the old window, it says a second was left; our clock reads it as reset+1.
    limiter.release(slow, headers(zendesk_limits(0, reset_in=1)))

    limiter.acquire()

    assert fake_time.sleeps == [41.0]


def test_an_answer_from_an_older_window_does_not_spoil_the_newer_budget(limiter, fake_time):
    limiter.release(limiter.acquire(), headers(intercom_limits(5, reset_at=START + 10)))
    older, newer = limiter.acquire(), limiter.acquire()
    fake_time.now = START + 9.8  # Intercom's clock is a little ahead: its window rolls over first
    limiter.release(newer, headers(intercom_limits(5, reset_at=START + 20)))
    limiter.release(older, headers(intercom_limits(0, reset_at=START + 10)))

    for _ in range(4):
        limiter.acquire()

    assert fake_time.sleeps == []


# --- whatever the headers say ------------------------------------------------------------------

HEADER_NAMES = ["Retry-After", "X-RateLimit-Remaining", "X-RateLimit-Reset", "ratelimit-remaining", "ratelimit-reset"]
header_values = st.one_of(
    st.integers(-5, 200).map(str),
    st.floats().map(str),  # nan, inf and exponents among them
    st.text(max_size=8),
    st.floats(START - 120, START + 120).map(http_date),
    st.integers(int(START) - 120, int(START) + 120).map(str),  # a reset as a Unix time
)


@settings(max_examples=int(os.environ.get("HYPOTHESIS_EXAMPLES", 50)), deadline=None)
@given(
    answers=st.lists(
        st.tuples(st.sampled_from([200, 429, 503]), st.dictionaries(st.sampled_from(HEADER_NAMES), header_values)),
        min_size=1,
        max_size=4,
    )
)
def test_whatever_the_headers_say_it_neither_crashes_nor_waits_more_than_a_minute_at_a_time(answers):
    fake_time = FakeTime()
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        helpdesk = Helpdesk(mock, fake_time)
        for status, values in answers:
            helpdesk.answer(status, ME if status == 200 else {"error": "Busy"}, headers=values)
        helpdesk.answer(body=ME)
        http = HelpdeskHTTP(
            vendor="Intercom",
            base_url=INTERCOM,
            credential_hint="INTERCOM_ACCESS_TOKEN",
            clock=fake_time.clock,
            sleep=fake_time.sleep,
        )

        while helpdesk.answers:
            assert http.get("/me") == ME

    assert all(0 <= slept <= 60 for slept in fake_time.sleeps)
