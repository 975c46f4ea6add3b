"""HTTP behaviour shared by every connector: timeouts, retries, rate limits, clear errors."""

from __future__ import annotations

import email.utils
import logging
import math
import random
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any

import requests
from requests.adapters import HTTPAdapter

from .errors import HelpdeskAuthError, HelpdeskRequestError, HelpdeskUnavailable

logger = logging.getLogger(__name__)

# Values above this are Unix timestamps (Intercom's X-RateLimit-Reset), below it a
# number of seconds to wait (Zendesk's ratelimit-reset).
_EPOCH_THRESHOLD = 1_000_000_000
_MAX_BACKOFF_SECONDS = 60.0
_MAX_RATE_LIMIT_WAITS = 20
# Reset times within this of each other belong to the same window (relative resets drift
# by up to a second between answers).
_SAME_WINDOW_SECONDS = 1.5
_PROBE_WAIT_SECONDS = 0.005
_UNKNOWN_RESET_SECONDS = 1.0
# Intercom's windows last 10 s and Zendesk's a minute; this leaves room for clocks that drift.
_MAX_RESET_SECONDS = 120.0


def _header_int(headers: Mapping[str, str], *names: str) -> int | None:
    for name in names:
        value = headers.get(name)
        if value is not None:
            try:
                return int(float(value))
            except (ValueError, OverflowError):  # OverflowError: "inf" reads as a float, not an int
                return None
    return None


def _reset_time(reset: int | None, now: float) -> float | None:
    """When the window resets, by a reset header; None when absent or not believable."""
    if reset is None:
        return None
    reset_at = float(reset) if reset > _EPOCH_THRESHOLD else now + reset
    # A reset further off comes from a clock that disagrees with ours (Intercom's is a Unix
    # time): waiting for it could hold a sync up for hours.
    return reset_at if reset_at - now <= _MAX_RESET_SECONDS else None


def _retry_after_seconds(headers: Mapping[str, str], now: float) -> float | None:
    """Retry-After as seconds or as an HTTP date; None when absent or unreadable."""
    retry_after = headers.get("Retry-After")
    if not retry_after:
        return None
    try:
        seconds = float(retry_after)
    except ValueError:
        try:
            return email.utils.parsedate_to_datetime(retry_after).timestamp() - now
        except (TypeError, ValueError):
            return None
    # float() reads "nan" too, which time.sleep refuses.
    return None if math.isnan(seconds) else seconds


class RateLimiter:
    """Spends a windowed request budget without tripping 429s.

    The helpdesk tells us, on every answer, how many requests its window has left and
    when it resets. Several threads have requests in flight that an answer may not have
    counted yet, so the limiter keeps its own count of what is left: one off for every
    request it lets through, and never more than the latest answer says. When the budget
    is spent, everyone waits for the reset; the first request after a reset goes alone,
    and its answer tells the others what the new window holds.

    ``acquire`` returns a ticket that goes back with ``release``, together with the
    answer's headers (None when no answer came).
    """

    def __init__(self, *, clock: Callable[[], float] = time.time, sleep: Callable[[float], None] = time.sleep):
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        # What the window has left once every request sent is counted; None while unknown
        # (before the first answer, and after a reset).
        self._remaining: int | None = None
        self._reset_at: float | None = None
        # The reset that last passed: answers from that window no longer count.
        self._expired_reset_at: float | None = None
        self._sent = 0
        self._answered = 0
        # While the budget is unknown, one request at a time finds it out.
        self._probing = False
        # Helpdesks that never send rate-limit headers are not throttled at all.
        self._throttling = False

    def acquire(self) -> int:
        while True:
            with self._lock:
                now = self._clock()
                if self._reset_at is not None and now >= self._reset_at:
                    self._expired_reset_at = self._reset_at
                    self._remaining, self._reset_at = None, None
                if self._remaining is None:
                    if not (self._throttling and self._probing):
                        self._probing = self._throttling
                        return self._send()
                    wait = _PROBE_WAIT_SECONDS
                elif self._remaining > 0:
                    self._remaining -= 1
                    return self._send()
                else:
                    if self._reset_at is None:
                        # Spent, and the helpdesk did not say when it resets: probe again soon.
                        self._reset_at = now + _UNKNOWN_RESET_SECONDS
                    wait = self._reset_at - now
            self._sleep(min(max(wait, 0.001), _MAX_BACKOFF_SECONDS))

    def _send(self) -> int:
        self._sent += 1
        # The ticket: how many requests had been answered when this one was sent.
        return self._answered

    def release(self, ticket: int, headers: Mapping[str, str] | None = None) -> None:
        remaining = reset = None
        if headers is not None:
            remaining = _header_int(headers, "X-RateLimit-Remaining", "ratelimit-remaining", "X-Rate-Limit-Remaining")
            reset = _header_int(headers, "X-RateLimit-Reset", "ratelimit-reset")
        with self._lock:
            self._answered += 1
            self._probing = False
            if remaining is None:
                return
            self._throttling = True
            reset_at = _reset_time(reset, self._clock())
            if reset_at is not None:
                if self._expired_reset_at is not None and reset_at <= self._expired_reset_at + _SAME_WINDOW_SECONDS:
                    return  # a late answer from a window that has already reset
                if self._reset_at is not None and reset_at < self._reset_at - _SAME_WINDOW_SECONDS:
                    return  # answers arrive out of order: this one is from an older window
                if self._reset_at is None or reset_at > self._reset_at + _SAME_WINDOW_SECONDS:
                    self._remaining, self._reset_at = None, reset_at  # the first answer from a new window
            if self._remaining is None:
                # Any other request not answered before this one was sent may be missing
                # from the helpdesk's count.
                uncounted = self._sent - 1 - ticket
                self._remaining = max(remaining - uncounted, 0)
            else:
                self._remaining = min(self._remaining, remaining)

    def pause_until(self, when: float) -> None:
        with self._lock:
            self._remaining, self._reset_at = 0, when


class HelpdeskHTTP:
    def __init__(
        self,
        *,
        vendor: str,
        base_url: str,
        credential_hint: str,
        headers: dict[str, str] | None = None,
        auth: Any = None,
        timeout: float = 30.0,
        max_retries: int = 5,
        backoff_base: float = 1.0,
        pool_size: int = 4,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.time,
        uniform: Callable[[float, float], float] = random.uniform,
    ):
        self.vendor = vendor
        self.base_url = base_url.rstrip("/")
        self.credential_hint = credential_hint
        self.timeout = timeout
        self.max_retries = max_retries
        self.backoff_base = backoff_base
        self._sleep = sleep
        self._clock = clock
        self._uniform = uniform
        self.limiter = RateLimiter(clock=clock, sleep=sleep)
        self.session = requests.Session()
        self.session.headers.update({"Accept": "application/json", **(headers or {})})
        self.session.auth = auth
        adapter = HTTPAdapter(pool_connections=1, pool_maxsize=max(pool_size, 1))
        self.session.mount("http://", adapter)
        self.session.mount("https://", adapter)

    def url(self, path: str) -> str:
        return path if path.startswith("http") else f"{self.base_url}{path}"

    def get(self, path: str, params: dict[str, Any] | None = None) -> Any:
        return self.request("GET", path, params=params)

    def post(self, path: str, json: Any) -> Any:
        return self.request("POST", path, json=json)

    def request(self, method: str, path: str, *, params: dict[str, Any] | None = None, json: Any = None) -> Any:
        url = self.url(path)
        failures = 0
        rate_limit_waits = 0
        while True:
            ticket = self.limiter.acquire()
            try:
                response = self.session.request(method, url, params=params, json=json, timeout=self.timeout)
            # A connection cut off mid-answer (ChunkedEncodingError) is as transient as one never made.
            except (requests.Timeout, requests.ConnectionError, requests.exceptions.ChunkedEncodingError) as exc:
                self.limiter.release(ticket)
                failures += 1
                problem = type(exc).__name__
                if isinstance(exc, requests.Timeout):
                    problem += f" after {self.timeout:g}s"
                self._backoff_or_give_up(failures, method, url, problem)
                continue
            except BaseException:
                self.limiter.release(ticket)
                raise

            self.limiter.release(ticket, response.headers)
            status = response.status_code
            if status in (401, 403):
                raise HelpdeskAuthError(
                    f"The {self.vendor} token was rejected (HTTP {status}). "
                    f"Check {self.credential_hint} and that it may read conversations."
                )
            if status == 429:
                rate_limit_waits += 1
                if rate_limit_waits > _MAX_RATE_LIMIT_WAITS:
                    raise HelpdeskUnavailable(
                        f"{self.vendor} kept answering 'too many requests'; the sync will try again later."
                    )
                self._wait_for_rate_limit(response)
                continue
            if status >= 500:
                failures += 1
                # A 503 may say when to come back (Zendesk does); never sooner than that.
                hinted = _retry_after_seconds(response.headers, self._clock())
                self._backoff_or_give_up(failures, method, url, f"HTTP {status}", at_least=hinted or 0.0)
                continue
            if status >= 400:
                raise HelpdeskRequestError(
                    f"{self.vendor} refused {method} {path} (HTTP {status}): {response.text[:300]}"
                )
            try:
                return response.json()
            except ValueError:
                failures += 1
                self._backoff_or_give_up(failures, method, url, "an answer that is not JSON")

    def _backoff_or_give_up(self, failures: int, method: str, url: str, problem: str, at_least: float = 0.0) -> None:
        if failures > self.max_retries:
            raise HelpdeskUnavailable(
                f"{self.vendor} did not answer properly ({problem}) after {self.max_retries} retries of {method} {url}."
            )
        # Jitter (half to all of the delay) keeps several workers from retrying in lockstep.
        delay = min(_MAX_BACKOFF_SECONDS, self.backoff_base * 2 ** (failures - 1))
        delay = max(self._uniform(delay / 2, delay), min(at_least, _MAX_BACKOFF_SECONDS))
        logger.warning("%s: %s on %s %s; retry %d in %.2fs", self.vendor, problem, method, url, failures, delay)
        self._sleep(delay)

    def _wait_for_rate_limit(self, response: requests.Response) -> None:
        now = self._clock()
        wait = _retry_after_seconds(response.headers, now)
        if wait is None:
            reset = _header_int(response.headers, "X-RateLimit-Reset", "ratelimit-reset")
            if reset is not None:
                wait = reset - now if reset > _EPOCH_THRESHOLD else float(reset)
        if wait is None or wait <= 0:
            # No hint, or a reset our clock says has passed (the clocks disagree): waiting
            # nothing would spend every retry in a burst of 429s.
            wait = self.backoff_base
        wait = min(wait, _MAX_BACKOFF_SECONDS)
        logger.info("%s: rate limited, waiting %.2fs", self.vendor, wait)
        # Every thread waits, not only the one that was told.
        self.limiter.pause_until(now + wait)
        self._sleep(wait)

    def close(self) -> None:
        self.session.close()
