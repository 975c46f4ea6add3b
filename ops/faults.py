"""Carousel's production shape under faults: each scenario prints PASS or FAIL with its evidence.

    .venv/bin/python ops/faults.py [--only a,b,c,d]
    .venv/bin/python ops/faults.py --smoke      # every scenario with short waits (what CI runs)

a. Redis stops during a sync: the web keeps serving, /healthz says the broker is unreachable
   (still 200: only a database outage takes the web out of rotation), the sync carries on or
   resumes once Redis is back, nothing is lost or duplicated.
b. The Celery worker is SIGKILLed mid-sync: the next run (after SYNC_LOCK_SECONDS, short here)
   resumes from the committed cursor, fetching fewer search pages; no duplicates.
c. The helpdesk answers garbage, or hangs: the run fails with a clear error soon after its
   timeout (HELPDESK_TIMEOUT_SECONDS=1, HELPDESK_MAX_RETRIES=1) and stored data is untouched.
d. PostgreSQL restarts under load: requests fail cleanly (5xx, never a hang) while it is down
   and succeed again within seconds of it coming back.

So that stopping and restarting them disturbs nobody else, the script runs a PostgreSQL
cluster (initdb into a temporary folder, as the postgres user) and a Redis of its own, each on
a free loopback port, and removes both at the end. The app runs as in production (DEBUG off,
gunicorn with 2 workers, a Celery worker) against a fake Intercom with per-request latency.

Exits 0 when every scenario passes, 1 otherwise, 77 when PostgreSQL's server binaries or
redis-server are not installed. --smoke runs the same scenarios and checks with the sizes
and waits of SMOKE below (one gunicorn worker); its logs go to a temporary folder, removed
when every scenario passes.
"""

from __future__ import annotations

import argparse
import hashlib
import shutil
import subprocess
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import requests
from stack import (
    EXIT_MISSING,
    PYTHON,
    ROOT,
    Browser,
    HelpdeskProcess,
    Missing,
    Planned,
    PrivatePostgres,
    PrivateRedis,
    Processes,
    Recorder,
    agent_email,
    app_env,
    database_recreate,
    django_setup,
    duplicate_conversations,
    free_port,
    log,
    raise_on_sigterm,
    release,
    require_tools,
    run_folder,
    run_folder_close,
    seed_team,
    send_sync_task,
    shown,
    start_web,
    start_worker,
    verdict,
    wait_for,
    week_start,
)

DATABASE = "carousel_ops_faults"
AGENTS = 10
PAGE = 150  # the Intercom client's search page size


@dataclass(frozen=True)
class Plan:
    """Sizes and waits. A smoke run keeps every step and check, in seconds rather than minutes."""

    seeded: int  # conversations in the database at the start (closed last week)
    recent: int  # more in the helpdesk only, for scenario a's sync: pages that are fetched after the first
    latency: float  # the fake Intercom's seconds per request, and during the syncs of a and b
    sync_latency: float
    redis_down: float  # a: seconds of GET /week/ while Redis is down
    killed_new: int  # b: new conversations, in search pages of 150
    lock_seconds: int  # instead of 15 minutes, so a killed worker's lock expires during b; it must
    # outlast a new worker's start-up, or the sync sent to that worker is not skipped
    helpdesk_new: int  # c: conversations that stay unstored while the helpdesk misbehaves
    hang: float  # c: seconds each conversation fetch hangs (the client's timeout is 1 s)
    browsing_agents: int  # d: signed-in agents loading /week/ in a loop
    before_restart: float  # d: seconds of load before PostgreSQL stops, down, and after it is back
    down: float
    after_restart: float  # longer than the 5 s within which 200s must be back


FULL = Plan(
    seeded=100,
    recent=500,
    latency=0.05,
    sync_latency=0.1,
    redis_down=6,
    killed_new=900,
    lock_seconds=20,
    helpdesk_new=30,
    hang=6,
    browsing_agents=6,
    before_restart=5,
    down=5,
    after_restart=12,
)
SMOKE = Plan(
    seeded=20,
    recent=300,
    latency=0.01,
    sync_latency=0.04,
    redis_down=1,
    killed_new=450,
    lock_seconds=12,
    helpdesk_new=10,
    hang=3,
    browsing_agents=2,
    before_restart=1,
    down=1.5,
    after_restart=5.5,
)


# --- looking at the database -----------------------------------------------------------------
def _fresh():
    from django.db import connection

    # A fresh connection per look: the database may have been restarted under us.
    connection.close()


def runs_after(pk: int) -> list:
    from conversations.models import SyncRun

    _fresh()
    return list(SyncRun.objects.filter(pk__gt=pk).order_by("pk"))


def last_run_pk() -> int:
    from conversations.models import SyncRun

    _fresh()
    return SyncRun.objects.order_by("-pk").values_list("pk", flat=True).first() or 0


def sync_cursor():
    from conversations.models import SyncCursor

    _fresh()
    return SyncCursor.objects.filter(source="intercom").first()


def conversation_count() -> int:
    from conversations.models import Conversation

    _fresh()
    return Conversation.objects.count()


def fingerprint() -> str:
    """What a sync stores, summed up: changes if any conversation or message is written.

    (The cursor is left out: a failed run may legitimately move it past pages with nothing new.)
    """
    from conversations.models import Conversation, Message

    _fresh()
    digest = hashlib.sha256()
    for row in Conversation.objects.order_by("pk").values_list("pk", "external_id", "updated_at", "synced_at"):
        digest.update(repr(row).encode())
    for row in Message.objects.order_by("pk").values_list("pk", "conversation_id", "external_id"):
        digest.update(repr(row).encode())
    return digest.hexdigest()[:16]


def run_line(run) -> str:
    took = f" in {(run.finished_at - run.started_at).total_seconds():.1f}s" if run.finished_at else ""
    text = (
        f"run {run.pk}: {run.status}{took}; fetched {run.fetched}, created {run.created}, "
        f"updated {run.updated}, unchanged {run.unchanged}"
    )
    return text + (f"; error: {run.error_text}" if run.error_text else "")


def recent(count: int, first_index: int, *, seconds_ago_from: int, seconds_ago_to: int) -> list[Planned]:
    """New conversations updated in the given window before now (after the cursor)."""
    now = int(time.time())
    span = seconds_ago_from - seconds_ago_to
    return [Planned(first_index + n, now - seconds_ago_from + n * span // max(count, 1)) for n in range(count)]


class Shape:
    """Everything the scenarios share: services, the app's processes, a signed-in agent and the plan."""

    def __init__(self, processes: Processes, postgres: PrivatePostgres, redis: PrivateRedis, plan: Plan):
        self.processes = processes
        self.postgres = postgres
        self.redis = redis
        self.plan = plan
        self.helpdesk: HelpdeskProcess | None = None
        self.env: dict[str, str] = {}
        self.base_url = ""
        self.total = 0  # conversations the helpdesk holds (and the database should, after a sync)
        self.recorder = Recorder()
        self.agent: Browser | None = None

    def add_conversations(self, planned: list[Planned]) -> None:
        self.total = self.helpdesk.call("add", planned=planned)

    def wait_run(self, after_pk: int, *, finished: bool = True, timeout: float = 90) -> object:
        def found():
            runs = runs_after(after_pk)
            return runs and (runs[0].finished_at or not finished)

        wait_for(found, timeout=timeout, interval=0.25, what=f"a sync run after #{after_pk}")
        return runs_after(after_pk)[0]

    def healthz(self) -> tuple[int, str, float]:
        started = time.monotonic()
        try:
            answer = requests.get(f"{self.base_url}/healthz", timeout=15)
            return answer.status_code, answer.text.strip(), time.monotonic() - started
        except requests.RequestException as exc:
            return 0, type(exc).__name__, time.monotonic() - started

    def ensure_worker(self) -> None:
        if not self.processes.alive("worker"):
            start_worker(self.processes, self.env)


def stored_once(shape: Shape) -> list[tuple[bool | None, str]]:
    stored, duplicates = conversation_count(), duplicate_conversations()
    return [
        (stored == shape.total, f"conversations stored: {stored} of the helpdesk's {shape.total}"),
        (duplicates == 0, f"duplicate conversations: {duplicates}"),
    ]


# --- a. Redis stops during a sync ------------------------------------------------------------------
@dataclass
class RedisOutage:
    fetched_at_stop: int
    fetched_meanwhile: int
    down_for: float
    week_codes: Counter
    health: tuple[int, str, float]
    signed_in: bool
    sign_in_outcome: str


def scenario_redis(shape: Shape) -> bool:
    before = last_run_pk()
    outage = redis_outage(shape, before)
    in_flight = shape.wait_run(before, timeout=120)
    # A run sent through the broker once it is back: only a worker that reconnected can take it.
    after_in_flight = last_run_pk()
    send_sync_task()
    try:
        next_run = shape.wait_run(after_in_flight, timeout=30)
    except TimeoutError:
        next_run = None
    worker_exit = shape.processes.running["worker"].poll()
    crash = [line for line in shape.processes.log_text("worker").splitlines() if "Unrecoverable error" in line]
    restarted = None
    if next_run is None and worker_exit is not None:
        # What compose's `restart: unless-stopped` (or a platform's process manager) would do.
        shape.processes.stop("worker")
        start_worker(shape.processes, shape.env)
        restarted = shape.wait_run(after_in_flight, timeout=90)
    health_after = shape.healthz()
    after_restart = (
        [(restarted.status == "succeeded", "after restarting the worker by hand: " + run_line(restarted))]
        if restarted
        else []
    )
    return verdict(
        "a. Redis stopped during a sync",
        [
            *redis_outage_evidence(outage),
            (in_flight.status == "succeeded", "the run that was going: " + run_line(in_flight)),
            (
                next_run is not None and worker_exit is None,
                "a sync sent through the broker after Redis was back, to the same worker: "
                + (
                    run_line(next_run)
                    if next_run
                    else f"never ran: the worker had exited (code {worker_exit}): {crash[0].strip() if crash else ''}"
                ),
            ),
            *after_restart,
            (health_after[0] == 200, f"GET /healthz after: {health_after[0]} {health_after[1]}"),
            *stored_once(shape),
        ],
    )


def redis_outage(shape: Shape, before: int) -> RedisOutage:
    """Sends a sync, stops Redis once it has stored a page, looks at the web meanwhile, starts Redis again."""
    shape.helpdesk.call("set", latency=shape.plan.sync_latency)
    send_sync_task()

    def page_stored() -> bool:
        # The cursor holds a resume token once a page is committed and more are to come.
        return bool(runs_after(before)) and bool(sync_cursor().resume_token)

    wait_for(page_stored, timeout=60, interval=0.2, what="the first page of the sync")
    fetched_at_stop = runs_after(before)[0].fetched
    shape.redis.stop()
    down_started = time.monotonic()
    week_codes: Counter = Counter()
    while time.monotonic() - down_started < shape.plan.redis_down:
        page = shape.agent.week()
        week_codes["200" if page is not None else shape.recorder.samples[-1].outcome] += 1
        time.sleep(0.2)
    health = shape.healthz()
    newcomer = Browser(shape.base_url, Recorder(), timeout=10)
    signed_in = newcomer.sign_in(agent_email(1))
    sign_in_outcome = newcomer.recorder.samples[-1].outcome if newcomer.recorder.samples else "?"
    fetched_meanwhile = runs_after(before)[0].fetched
    shape.redis.start()
    return RedisOutage(
        fetched_at_stop=fetched_at_stop,
        fetched_meanwhile=fetched_meanwhile,
        down_for=time.monotonic() - down_started,
        week_codes=week_codes,
        health=health,
        signed_in=signed_in,
        sign_in_outcome=sign_in_outcome,
    )


def redis_outage_evidence(outage: RedisOutage) -> list[tuple[bool | None, str]]:
    health = outage.health
    sign_in = (
        "worked"
        if outage.signed_in
        else f"HTTP {outage.sign_in_outcome} (sign-in throttling counts in the database, not Redis)"
    )
    return [
        (None, f"Redis stopped once the sync had fetched {outage.fetched_at_stop}; down for {outage.down_for:.1f}s"),
        (
            set(outage.week_codes) == {"200"},
            f"GET /week/ (signed in) while Redis was down: {dict(outage.week_codes)}",
        ),
        (
            health[0] == 200 and '"broker": "unreachable"' in health[1] and '"database": "ok"' in health[1],
            f"GET /healthz while Redis was down: {health[0]} {health[1]} in {health[2]:.1f}s",
        ),
        (None, f"sign-in while Redis was down: {sign_in}"),
        (
            None,
            f"the sync kept going without Redis: fetched {outage.fetched_at_stop} -> {outage.fetched_meanwhile} "
            "meanwhile",
        ),
    ]


# --- b. a worker SIGKILLed mid-sync -----------------------------------------------------------------
@dataclass
class Killed:
    before: int  # the last run before the killed one
    token: str  # SyncCursor.resume_token when the worker died
    committed: int  # conversations fetched (and committed) by then
    searches: int
    lock_left: float
    at: float  # time.monotonic()


@dataclass
class Takeover:
    skipped: object  # the run sent as soon as a new worker started
    skipped_after: float  # seconds after the kill
    resumed: object  # the run sent once the lock expired
    resumed_from: str | None  # its first search's starting_after
    searches: int  # search pages it read


def scenario_worker_killed(shape: Shape) -> bool:
    shape.ensure_worker()
    new = shape.plan.killed_new
    shape.add_conversations(recent(new, 600, seconds_ago_from=240, seconds_ago_to=5))
    pages = -(-new // PAGE)
    killed = kill_mid_sync(shape)
    after = take_over(shape, killed)
    killed_run = runs_after(killed.before)[0]
    cursor_after = sync_cursor()
    return verdict(
        "b. Celery worker SIGKILLed mid-sync",
        [
            (
                None,
                f"{new} new conversations = {pages} search pages of {PAGE}; helpdesk latency "
                f"{shape.plan.sync_latency * 1000:.0f} ms; SYNC_LOCK_SECONDS={shape.plan.lock_seconds}",
            ),
            (
                bool(killed.token) and killed.committed >= 2 * PAGE,
                f"worker SIGKILLed (main process and pool) with {killed.committed} conversations committed after "
                f"{killed.searches} search pages; SyncCursor.resume_token {killed.token[:24]}...; its lock "
                f"had {killed.lock_left:.1f}s left",
            ),
            (
                after.skipped.status == "skipped",
                f"a sync sent as soon as a new worker started ({after.skipped_after:.1f}s after the kill): "
                + run_line(after.skipped),
            ),
            (after.resumed.status == "succeeded", "the next sync, once the lock expired: " + run_line(after.resumed)),
            (
                after.resumed_from == killed.token,
                f"its first search request resumed from the committed token: {after.resumed_from == killed.token}",
            ),
            (after.searches < pages, f"search pages it read: {after.searches} (from scratch: {pages})"),
            (
                killed.committed + after.resumed.fetched <= new + PAGE,
                f"conversations fetched: {killed.committed} before the kill + {after.resumed.fetched} after = "
                f"{killed.committed + after.resumed.fetched} for {new} new (at most the page in hand is fetched twice)",
            ),
            *stored_once(shape),
            (
                cursor_after.resume_token == "" and cursor_after.lock_owner == "",
                f"cursor after: resume_token={cursor_after.resume_token!r}, lock_owner={cursor_after.lock_owner!r}",
            ),
            (None, f"the killed run's row stays status={killed_run.status!r}, finished_at={killed_run.finished_at}"),
        ],
    )


def take_over(shape: Shape, killed: Killed) -> Takeover:
    """A new worker: a sync sent at once finds the dead worker's lock still held; once the lock has
    expired, the next run takes over and resumes from the cursor."""
    start_worker(shape.processes, shape.env)
    before_skip = last_run_pk()
    send_sync_task()
    skipped = shape.wait_run(before_skip, timeout=60)
    skipped_after = time.monotonic() - killed.at
    wait_for(lambda: datetime.now(UTC) > sync_cursor().lock_expires_at, timeout=shape.plan.lock_seconds + 10)
    stats_resume = shape.helpdesk.stats()
    before_resume = last_run_pk()
    send_sync_task()
    resumed = shape.wait_run(before_resume, timeout=120)
    stats = shape.helpdesk.stats(since=stats_resume["requests"], bodies_since=stats_resume["search_count"])
    first_search = (stats["search_bodies"] or [{}])[0].get("pagination", {})
    return Takeover(skipped, skipped_after, resumed, first_search.get("starting_after"), stats["searches"])


def kill_mid_sync(shape: Shape) -> Killed:
    """Sends a sync and SIGKILLs the worker once two of its pages are committed."""
    shape.helpdesk.call("set", latency=shape.plan.sync_latency)
    before = last_run_pk()
    stats_before = shape.helpdesk.stats()
    send_sync_task()

    def two_pages_committed() -> bool:
        runs = runs_after(before)
        return bool(runs and sync_cursor().resume_token and runs[0].fetched >= 2 * PAGE)

    wait_for(two_pages_committed, timeout=90, interval=0.1, what="two committed pages")
    shape.processes.kill("worker")
    killed_at = datetime.now(UTC)
    cursor = sync_cursor()
    stats = shape.helpdesk.stats(since=stats_before["requests"], bodies_since=stats_before["search_count"])
    return Killed(
        before=before,
        token=cursor.resume_token,
        committed=runs_after(before)[0].fetched,
        searches=stats["searches"],
        lock_left=(cursor.lock_expires_at - killed_at).total_seconds() if cursor.lock_expires_at else 0.0,
        at=time.monotonic(),
    )


# --- c. the helpdesk answers garbage, or hangs ---------------------------------------------------------
HELPDESK_FAULTS = (
    ("garbage (an HTML page, status 200) for the search", "POST", "/conversations/search", "garbage"),
    ("a hang on every conversation fetch", "GET", "/conversations/1", "timeout"),
)


def sync_by_hand(shape: Shape, timeout_seconds: float, retries: int) -> tuple[int, float]:
    env = {
        **shape.env,
        "HELPDESK_TIMEOUT_SECONDS": str(timeout_seconds),
        "HELPDESK_MAX_RETRIES": str(retries),
        "LOG_LEVEL": "ERROR",
    }
    started = time.monotonic()
    done = subprocess.run(
        [PYTHON, "manage.py", "sync_conversations"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    return done.returncode, time.monotonic() - started


def scenario_helpdesk_faults(shape: Shape) -> bool:
    shape.ensure_worker()
    timeout_seconds, retries = 1.0, 1
    # Two attempts of at most 1 s each with a backoff of at most 1 s between them; requests
    # already in flight on the other fetch threads finish their own attempts first. The bound
    # is on the run itself: the command's Python and Django start-up varies with the machine's load.
    bound = (retries + 1) * timeout_seconds + 1.0 + 5.0
    shape.add_conversations(recent(shape.plan.helpdesk_new, 1500, seconds_ago_from=120, seconds_ago_to=5))
    shape.helpdesk.call("set", latency=0.0, hang_seconds=shape.plan.hang)
    missing = shape.total - conversation_count()
    untouched = fingerprint()
    checks: list[tuple[bool | None, str]] = [
        (
            None,
            f"manage.py sync_conversations (the task's code) with HELPDESK_TIMEOUT_SECONDS={timeout_seconds:g}, "
            f"HELPDESK_MAX_RETRIES={retries}; {missing} conversations not stored yet; hangs of {shape.plan.hang:g} s",
        )
    ]
    for name, method, prefix, kind in HELPDESK_FAULTS:
        shape.helpdesk.call("fail", method=method, path_prefix=prefix, kind=kind, times=500)
        before = last_run_pk()
        code, seconds = sync_by_hand(shape, timeout_seconds, retries)
        shape.helpdesk.call("clear_faults")
        run = runs_after(before)[0]
        took = (run.finished_at - run.started_at).total_seconds() if run.finished_at else float("inf")
        checks += [
            (
                code == 1 and run.status == "failed" and "did not answer properly" in run.error_text,
                f"{name}: exit {code}; " + run_line(run),
            ),
            (took < bound, f"  it gave up after {took:.1f}s (bound {bound:.0f}s; the command took {seconds:.1f}s)"),
            (fingerprint() == untouched, "  conversations and messages untouched"),
        ]
    before = last_run_pk()
    code, seconds = sync_by_hand(shape, timeout_seconds, retries)
    recovered = runs_after(before)[0]
    checks += [
        (
            code == 0 and recovered.status == "succeeded" and recovered.created == missing,
            f"once the helpdesk behaves: exit {code} after {seconds:.1f}s; " + run_line(recovered),
        ),
        *stored_once(shape),
    ]
    return verdict("c. Helpdesk answering garbage or hanging", checks)


# --- d. PostgreSQL restarted under load ---------------------------------------------------------------
@dataclass
class Restart:
    """When PostgreSQL went down and came back (time.monotonic()), and what the clients saw."""

    began: float
    down_at: float
    stopped_at: float
    up_at: float
    ended: float
    samples: list
    health: list[tuple[float, int, str]]


def scenario_database_restart(shape: Shape) -> bool:
    restart = restart_under_load(shape)
    samples, up_at, down_at = restart.samples, restart.up_at, restart.down_at

    def phase(sample) -> str:
        if sample.started + sample.seconds < down_at:
            return "before"
        return "after" if sample.started >= up_at else "during"

    by_phase = {name: Counter() for name in ("before", "during", "after")}
    for sample in samples:
        by_phase[phase(sample)][sample.outcome] += 1
    after = [s for s in samples if s.started >= up_at]
    first_ok = min((s.started + s.seconds - up_at for s in after if s.ok), default=None)
    last_failure = max((s.started + s.seconds - up_at for s in after if not s.ok), default=0.0)
    slowest = max(samples, key=lambda s: s.seconds)
    not_5xx = [s for s in samples if not s.ok and not s.outcome.startswith("5")]
    health_down = Counter(f"{status} {text}" for at, status, text in restart.health if down_at <= at < up_at)
    health_end = restart.health[-1][1:] if restart.health else (0, "")
    plan = shape.plan
    return verdict(
        "d. PostgreSQL restarted under load",
        [
            (
                None,
                f"{plan.browsing_agents} signed-in agents GET /week/ in a loop (client timeout 10 s) for "
                f"{restart.ended - restart.began:.0f}s; PostgreSQL stopped (fast shutdown) at "
                f"+{down_at - restart.began:.1f}s (took {restart.stopped_at - down_at:.1f}s), left down "
                f"{plan.down:g} s, accepting connections again at +{up_at - restart.began:.1f}s",
            ),
            (set(by_phase["before"]) == {"200"}, f"before: {dict(by_phase['before'])}"),
            (bool(by_phase["during"]), f"while it was stopping, down or starting: {dict(by_phase['during'])}"),
            (not not_5xx, f"failures that were not a 5xx (timeouts, resets, refused): {len(not_5xx)}"),
            (slowest.seconds < 10, f"slowest request: {slowest.seconds * 1000:.0f} ms ({slowest.outcome})"),
            (
                first_ok is not None and first_ok < 5,
                f"first 200 {first_ok:.2f}s after PostgreSQL was back" if first_ok is not None else "no 200 after",
            ),
            (last_failure < 5, f"after it was back: {dict(by_phase['after'])}; last failure {last_failure:.2f}s after"),
            (
                any(text.startswith('503 {"database": "unreachable"') for text in health_down),
                f"/healthz while down: {dict(health_down)}",
            ),
            (health_end[0] == 200, f"/healthz at the end: {health_end[0]} {health_end[1]}"),
        ],
    )


def restart_under_load(shape: Shape) -> Restart:
    """Agents load /week/ and a probe reads /healthz while PostgreSQL is stopped and started again."""
    plan = shape.plan
    recorder = Recorder()
    browsers = [Browser(shape.base_url, recorder, timeout=10) for _ in range(plan.browsing_agents)]
    for number, browser in enumerate(browsers):
        if not browser.sign_in(agent_email(number)):
            raise RuntimeError("could not sign in before the restart")
    recorder.samples.clear()
    stop = threading.Event()
    health: list[tuple[float, int, str]] = []

    def browse(browser: Browser) -> None:
        while not stop.is_set():
            browser.week()

    def probe() -> None:
        while not stop.is_set():
            started = time.monotonic()
            status, text, _ = shape.healthz()
            health.append((started, status, text))
            time.sleep(0.25)

    threads = [threading.Thread(target=browse, args=(b,), daemon=True) for b in browsers]
    threads.append(threading.Thread(target=probe, daemon=True))
    began = time.monotonic()
    for thread in threads:
        thread.start()
    time.sleep(plan.before_restart)
    down_at = time.monotonic()
    shape.postgres.stop("fast")  # what a restart does first: every connection is cut
    stopped_at = time.monotonic()
    time.sleep(plan.down)
    shape.postgres.start()  # returns once it accepts connections
    up_at = time.monotonic()
    time.sleep(plan.after_restart)
    stop.set()
    for thread in threads:
        thread.join(15)
    return Restart(began, down_at, stopped_at, up_at, time.monotonic(), recorder.samples, health)


SCENARIOS = {
    "a": scenario_redis,
    "b": scenario_worker_killed,
    "c": scenario_helpdesk_faults,
    "d": scenario_database_restart,
}


# --- the run --------------------------------------------------------------------------------------------
def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", default="a,b,c,d", help="comma-separated scenarios to run (default all)")
    parser.add_argument("--smoke", action="store_true", help="every scenario, with the waits and sizes in SMOKE")
    args = parser.parse_args()
    args.chosen = [name.strip() for name in args.only.split(",") if name.strip()]
    if unknown := set(args.chosen) - set(SCENARIOS):
        parser.error(f"no scenario {', '.join(sorted(unknown))}: choose from {', '.join(SCENARIOS)}")
    return args


def main() -> int:
    args = parse_args()
    raise_on_sigterm()
    processes = Processes(run_folder("faults", smoke=args.smoke))
    shape = Shape(processes, PrivatePostgres(), PrivateRedis(processes), SMOKE if args.smoke else FULL)
    began = time.monotonic()
    code = 1
    try:
        require_tools("initdb", "pg_ctl", "pg_isready", "redis-server", "redis-cli")
        log(f"Logs: {shown(processes.log_dir)}")
        bring_up(shape)
        log(f"      ({time.monotonic() - began:.0f}s)")
        code = run_scenarios(shape, args.chosen)
    except Missing as exc:
        log(f"ops/faults.py cannot run: {exc}")
        code = EXIT_MISSING
    finally:
        if shape.helpdesk is not None:
            shape.helpdesk.stop()
        processes.stop_all()
        shutil.rmtree(processes.log_dir / "static", ignore_errors=True)  # collectstatic's copy; the logs stay
        if "django" in sys.modules:
            from django.db import connections

            connections.close_all()
        shape.redis.cleanup()
        shape.postgres.cleanup()
        log(f"Cleaned up (private PostgreSQL and Redis removed); total {time.monotonic() - began:.0f}s")
        run_folder_close(processes.log_dir, smoke=args.smoke, passed=code == 0)
    return code


def bring_up(shape: Shape) -> None:
    """The private services, the fake Intercom, the release steps, the seeded team, gunicorn and a worker."""
    plan = shape.plan
    shape.postgres.init()
    shape.redis.start()
    database_recreate(shape.postgres.server_url, DATABASE)
    start = week_start(datetime.now(UTC))
    first = int((start - timedelta(days=7) + timedelta(hours=1)).timestamp())
    last = int((start - timedelta(hours=1)).timestamp())
    seeded = [Planned(index, first + index * (last - first) // plan.seeded) for index in range(plan.seeded)]
    initial = seeded + recent(plan.recent, plan.seeded, seconds_ago_from=6 * 86400, seconds_ago_to=3600)
    shape.helpdesk = HelpdeskProcess(agents=AGENTS, planned=initial, latency=plan.latency)
    shape.total = len(initial)
    shape.env = app_env(
        database_url=f"{shape.postgres.server_url}/{DATABASE}",
        redis_url=shape.redis.url,
        helpdesk_url=shape.helpdesk.url,
        static_root=shape.processes.log_dir / "static",
        SYNC_LOCK_SECONDS=str(plan.lock_seconds),
        HELPDESK_TIMEOUT_SECONDS="5",
        HELPDESK_MAX_RETRIES="2",
    )
    django_setup(shape.env)
    release()
    figures = seed_team(agents=AGENTS, conversations=seeded)
    start_worker(shape.processes, shape.env)  # it starts up while gunicorn is awaited
    shape.base_url = start_web(shape.processes, shape.env, free_port(), workers=1 if plan is SMOKE else 2)
    shape.agent = Browser(shape.base_url, shape.recorder, timeout=10)
    if not shape.agent.sign_in(agent_email(0)):
        raise RuntimeError("the probing agent could not sign in")
    log(
        f"Up: PostgreSQL on :{shape.postgres.port}, Redis on :{shape.redis.port} (db 13), gunicorn on "
        f"{shape.base_url}, a Celery worker, fake Intercom with {len(initial)} conversations; seeded "
        f"{figures['agents']} agents, {figures['conversations']} conversations, {figures['assignments']} "
        f"assignments ({figures['week']})."
    )


def run_scenarios(shape: Shape, chosen: list[str]) -> int:
    results: dict[str, bool] = {}
    for name in chosen:
        began = time.monotonic()
        try:
            results[name] = SCENARIOS[name](shape)
        except Exception as exc:
            results[name] = verdict(f"{name}. {SCENARIOS[name].__name__}", [(False, f"{type(exc).__name__}: {exc}")])
        log(f"      ({time.monotonic() - began:.0f}s)")
    log("\nSummary: " + ", ".join(f"{name} {'PASS' if ok else 'FAIL'}" for name, ok in results.items()))
    return 0 if results and all(results.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
