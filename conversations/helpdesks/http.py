"""HTTP behaviour shared by every connector: timeouts, retries, rate limits, clear errors."""

from __future__ import annotations

import email.utils
import logging
import random
import threading
import time
from collections.abc import Callable
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


def _header_int(headers: Any, *names: str) -> int | None:
    for name in names:
        value = headers.get(name)
        if value is not None:
            try:
                return int(float(value))
            except ValueError:
                return None
    return None


class RateLimiter:
    """Spends a windowed request budget without tripping 429s.

    The helpdesk tells us, on every answer, how many requests the window has left and
    when it resets. Requests are counted down locally as they are sent, because several
    threads have requests in flight that the last header has not seen yet; when the
    budget is spent, everyone waits for the reset instead of collecting 429s.
    """

    def __init__(self, *, clock: Callable[[], float] = time.time, sleep=time.sleep):
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        self._remaining: int | None = None
        self._reset_at: float | None = None

    def acquire(self) -> None:
        while True:
            with self._lock:
                now = self._clock()
                if self._reset_at is not None and now >= self._reset_at:
                    self._remaining, self._reset_at = None, None
                if self._remaining is None or self._remaining > 0:
                    if self._remaining is not None:
                        self._remaining -= 1
                    return
                wait = self._reset_at - now if self._reset_at is not None else 1.0
            self._sleep(min(max(wait, 0.01), _MAX_BACKOFF_SECONDS))

    def observe(self, headers: Any) -> None:
        remaining = _header_int(headers, "X-RateLimit-Remaining", "ratelimit-remaining", "X-Rate-Limit-Remaining")
        reset = _header_int(headers, "X-RateLimit-Reset", "ratelimit-reset")
        if remaining is None:
            return
        now = self._clock()
        reset_at = None
        if reset is not None:
            reset_at = float(reset) if reset > _EPOCH_THRESHOLD else now + reset
        with self._lock:
            new_window = reset_at is not None and (self._reset_at is None or reset_at > self._reset_at + 0.5)
            if new_window or self._remaining is None:
                self._remaining, self._reset_at = remaining, reset_at
            else:
                # Answers arrive out of order across threads: the lowest count is the truth.
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
    ):
        self.vendor = vendor
        self.base_url = base_url.rstrip("/")
        self.credential_hint = credential_hint
        self.timeout = timeout
        self.max_retries = max_retries
        self.backoff_base = backoff_base
        self._sleep = sleep
        self.limiter = RateLimiter(sleep=sleep)
        self.session = requests.Session()
        self.session.headers.update({"Accept": "application/json", **(headers or {})})
        self.session.auth = auth
        adapter = HTTPAdapter(pool_connections=1, pool_maxsize=max(pool_size, 1))
        self.session.mount("http://", adapter)
        self.session.mount("https://", adapter)
        self.requests_sent = 0
        self.rate_limited = 0

    def url(self, path: str) -> str:
        return path if path.startswith("http") else f"{self.base_url}{path}"

    def get(self, path: str, params: dict | None = None) -> Any:
        return self.request("GET", path, params=params)

    def post(self, path: str, json: Any) -> Any:
        return self.request("POST", path, json=json)

    def request(self, method: str, path: str, *, params=None, json=None) -> Any:
        url = self.url(path)
        failures = 0
        rate_limit_waits = 0
        while True:
            self.limiter.acquire()
            self.requests_sent += 1
            try:
                response = self.session.request(method, url, params=params, json=json, timeout=self.timeout)
            except (requests.Timeout, requests.ConnectionError) as exc:
                failures += 1
                problem = f"{type(exc).__name__} after {self.timeout:g}s"
                self._backoff_or_give_up(failures, method, url, problem)
                continue

            self.limiter.observe(response.headers)
            status = response.status_code
            if status in (401, 403):
                raise HelpdeskAuthError(
                    f"The {self.vendor} token was rejected (HTTP {status}). "
                    f"Check {self.credential_hint} and that it may read conversations."
                )
            if status == 429:
                self.rate_limited += 1
                rate_limit_waits += 1
                if rate_limit_waits > _MAX_RATE_LIMIT_WAITS:
                    raise HelpdeskUnavailable(
                        f"{self.vendor} kept answering 'too many requests'; the sync will try again later."
                    )
                self._wait_for_rate_limit(response)
                continue
            if status >= 500:
                failures += 1
                self._backoff_or_give_up(failures, method, url, f"HTTP {status}")
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

    def _backoff_or_give_up(self, failures: int, method: str, url: str, problem: str) -> None:
        if failures > self.max_retries:
            raise HelpdeskUnavailable(
                f"{self.vendor} did not answer properly ({problem}) after {self.max_retries} retries of {method} {url}."
            )
        # Full jitter keeps several workers from retrying in lockstep.
        delay = min(_MAX_BACKOFF_SECONDS, self.backoff_base * 2 ** (failures - 1))
        delay = random.uniform(delay / 2, delay)
        logger.warning("%s: %s on %s %s; retry %d in %.2fs", self.vendor, problem, method, url, failures, delay)
        self._sleep(delay)

    def _wait_for_rate_limit(self, response: requests.Response) -> None:
        now = time.time()
        wait = None
        retry_after = response.headers.get("Retry-After")
        if retry_after:
            try:
                wait = float(retry_after)
            except ValueError:
                parsed = email.utils.parsedate_to_datetime(retry_after)
                wait = parsed.timestamp() - now if parsed else None
        if wait is None:
            reset = _header_int(response.headers, "X-RateLimit-Reset", "ratelimit-reset")
            if reset is not None:
                wait = reset - now if reset > _EPOCH_THRESHOLD else float(reset)
        if wait is None:
            wait = self.backoff_base
        wait = min(max(wait, 0.0), _MAX_BACKOFF_SECONDS)
        logger.info("%s: rate limited, waiting %.2fs", self.vendor, wait)
        # Every thread waits, not only the one that was told.
        self.limiter.pause_until(now + wait)
        self._sleep(wait)

    def close(self) -> None:
        self.session.close()
