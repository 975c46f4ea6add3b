"""Carousel's production shape under load, with a helpdesk sync running at the same time.

    .venv/bin/python ops/loadtest.py [--agents 40] [--seconds 60] [--conversations 2000]
    .venv/bin/python ops/loadtest.py --smoke      # 4 agents for 3 s, 60 conversations (what CI runs)

Starts PostgreSQL and Redis if they are down (and stops them again afterwards), makes a
database of its own (carousel_ops, dropped at the end) and uses Redis db 13. Then, like a
deploy: migrate, collectstatic, gunicorn with 2 workers, one Celery worker and beat, all with
DEBUG off, against a fake Intercom (real HTTP, per-request latency) serving ~2,000
conversations. A team of agents with sign-ins, ~400 reviewable conversations closed last week
and this week's batches are seeded through the ORM.

Every agent signs in, then for --seconds each repeatedly opens My week, opens a conversation
of its batch, and submits a review (a quarter of them twice at once, like a double click),
sometimes edits a review it wrote, and pulls more conversations when its batch is done. A
sync (the Celery task, as beat sends it) starts with the load. Prints requests/s and
latencies per endpoint, errors, whether every review was stored exactly once, and the sync's
figures; exits non-zero if a check fails (77: PostgreSQL or Redis is not there to use).

--smoke runs the same steps and checks at a small size, with batches of 1 (so agents pull
more), one gunicorn worker, a Redis of its own (two checkouts' runs on one machine would
otherwise share a queue) and a database named for the process; its logs go to a temporary
folder, removed when every check passes.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import resource
import shutil
import sys
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from stack import (
    EXIT_MISSING,
    Browser,
    HelpdeskProcess,
    Missing,
    Planned,
    PrivateRedis,
    Processes,
    Recorder,
    Sample,
    SharedPostgres,
    SharedRedis,
    agent_email,
    app_env,
    database_drop,
    database_recreate,
    django_setup,
    duplicate_conversations,
    free_port,
    latency_table,
    log,
    percentile,
    raise_on_sigterm,
    release,
    require_tools,
    run_folder,
    run_folder_close,
    seed_team,
    send_sync_task,
    shown,
    start_beat,
    start_web,
    start_worker,
    verdict,
    wait_for,
    week_start,
)

DATABASE = "carousel_ops"
ACCESS_LINE = re.compile(r'"(?:GET|POST|HEAD) \S+ HTTP/[\d.]+" (\d{3}) ')
RECYCLE_LINE = re.compile(r"\[([\d-]+ [\d:]+ [+-]\d{4})\] \[\d+\] \[INFO\] Autorestarting worker")
# Enough for every agent's batch of 1 and a few pulls of 3 more, and a sync of one search page.
SMOKE = {"agents": 4, "seconds": 3.0, "conversations": 60, "seeded": 30, "latency": 0.01}


@dataclass
class Tally:
    """What one agent saw succeed."""

    reviewed: set[int] = field(default_factory=set)  # assignments whose first submission got its 302
    qualities: dict[int, int] = field(default_factory=dict)
    edits: int = 0  # edits that changed the review (each must leave one audit event)
    double_submits: int = 0  # two identical POSTs at once, both answered 302
    pulls: int = 0


def submit_twice(browser: Browser, assignment_id: int, token: str) -> list[bool]:
    """Two tabs post the same form at the same moment."""
    tab = browser.clone()
    with ThreadPoolExecutor(max_workers=2) as pool:
        answers = list(pool.map(lambda b: b.review_post(assignment_id, token), [browser, tab]))
    tab.session.close()
    return answers


def agent_loop(browser: Browser, deadline: float, tally: Tally, rng: random.Random) -> None:
    while time.monotonic() < deadline:
        week = browser.week()
        if week is None:
            time.sleep(0.2)
            continue
        to_do, done, week_token = week
        if done and rng.random() < 0.15:
            # Change a review this agent wrote earlier this week.
            assignment_id = rng.choice(done)
            token = browser.review_form(assignment_id)
            if token is None:
                continue
            quality = rng.choice([level for level in (1, 2, 3) if level != tally.qualities.get(assignment_id, 2)])
            if browser.review_post(assignment_id, token, quality=quality):
                tally.edits += 1
                tally.qualities[assignment_id] = quality
        elif to_do:
            assignment_id = rng.choice(to_do)
            token = browser.review_form(assignment_id)
            if token is None:
                continue
            if rng.random() < 0.25:
                answers = submit_twice(browser, assignment_id, token)
                if all(answers):
                    tally.double_submits += 1
            else:
                answers = [browser.review_post(assignment_id, token)]
            if any(answers):
                tally.reviewed.add(assignment_id)
                tally.qualities[assignment_id] = 2
        elif browser.pull(week_token):
            tally.pulls += 1


def sign_in_all(browsers: list[Browser]) -> list[bool]:
    with ThreadPoolExecutor(max_workers=len(browsers)) as pool:
        return list(pool.map(lambda pair: pair[1].sign_in(agent_email(pair[0])), enumerate(browsers)))


def sync_runs_since(started: datetime) -> list:
    from django.db import close_old_connections

    from conversations.models import SyncRun

    close_old_connections()
    return list(SyncRun.objects.filter(started_at__gte=started).order_by("started_at"))


def build_plan(*, total: int, seeded: int, now: datetime) -> tuple[list[Planned], list[Planned]]:
    """What the helpdesk holds, and what the database starts with.

    The seeded conversations closed last week; the helpdesk has them too, every other one
    updated since (the sync re-fetches those and replaces their transcripts while agents read
    them). The rest closed over the last seven days; every tenth is spam or too short.
    """
    start = week_start(now)
    first = int((start - timedelta(days=7) + timedelta(hours=1)).timestamp())
    last = int((start - timedelta(hours=1)).timestamp())
    seeded_items = [Planned(index, first + index * (last - first) // seeded) for index in range(seeded)]
    helpdesk = [Planned(item.index, item.updated_at + (60 if item.index % 2 == 0 else 0)) for item in seeded_items]
    recent_from = int((now - timedelta(days=7)).timestamp())
    recent_to = int((now - timedelta(minutes=10)).timestamp())
    others = total - seeded
    helpdesk += [
        Planned(index, recent_from + (index - seeded) * (recent_to - recent_from) // others, index % 10 != 9)
        for index in range(seeded, total)
    ]
    return helpdesk, seeded_items


def gunicorn_figures(text: str) -> tuple[Counter, list[datetime]]:
    """Status codes in the access log, and when a worker was recycled by max_requests."""
    statuses = Counter(match.group(1) for match in ACCESS_LINE.finditer(text))
    recycles = [datetime.strptime(match.group(1), "%Y-%m-%d %H:%M:%S %z") for match in RECYCLE_LINE.finditer(text)]
    return statuses, recycles


@dataclass
class Rehearsal:
    """What this run started, so that the clean-up stops exactly that."""

    processes: Processes
    postgres: SharedPostgres
    redis: SharedRedis | PrivateRedis
    database: str
    smoke: bool
    helpdesk: HelpdeskProcess | None = None
    database_made: bool = False
    env: dict[str, str] = field(default_factory=dict)
    base_url: str = ""


@dataclass
class Load:
    """What the agents saw while the load ran."""

    samples: list[Sample]
    tallies: list[Tally]
    seconds: float
    client_cpu: float
    started_at: datetime  # wall clock, to compare with the sync runs' times
    started: float  # time.monotonic()
    runs_during: list


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--agents", type=int, default=40, help="concurrent signed-in agents (the whole team)")
    parser.add_argument("--seconds", type=float, default=60.0, help="how long to drive the load")
    parser.add_argument("--conversations", type=int, default=2000, help="conversations in the fake Intercom")
    parser.add_argument("--seeded", type=int, default=400, help="reviewable conversations seeded for this week")
    parser.add_argument("--latency", type=float, default=0.05, help="the fake Intercom's seconds per request")
    parser.add_argument(
        "--max-requests",
        type=int,
        default=None,
        help="override gunicorn.conf.py's max_requests (2000, jitter 200) to study worker recycling",
    )
    parser.add_argument("--smoke", action="store_true", help=f"seconds, not minutes: {SMOKE}, one gunicorn worker")
    args = parser.parse_args()
    if args.smoke:
        # Smoke sizes replace the defaults; options given on the command line still win.
        parser.set_defaults(**SMOKE)
        args = parser.parse_args()
    return args


def main() -> int:
    args = parse_args()
    raise_on_sigterm()
    processes = Processes(run_folder("loadtest", smoke=args.smoke))
    rehearsal = Rehearsal(
        processes=processes,
        postgres=SharedPostgres(),
        # A smoke run may run beside another checkout's: a Redis of its own keeps their queues apart.
        redis=PrivateRedis(processes) if args.smoke else SharedRedis(),
        database=f"{DATABASE}_smoke_{os.getpid()}" if args.smoke else DATABASE,
        smoke=args.smoke,
    )
    began = time.monotonic()
    code = 1
    try:
        require_tools("redis-server", "redis-cli", "pg_isready")
        code = rehearse(rehearsal, args)
    except Missing as exc:
        log(f"ops/loadtest.py cannot run: {exc}")
        code = EXIT_MISSING
    finally:
        clean_up(rehearsal, began)
        run_folder_close(processes.log_dir, smoke=args.smoke, passed=code == 0)
    return code


def rehearse(rehearsal: Rehearsal, args: argparse.Namespace) -> int:
    log(f"Logs: {shown(rehearsal.processes.log_dir)}")
    began = time.monotonic()
    figures = prepare(rehearsal, args)
    if figures["week_ends"] - datetime.now(UTC) < timedelta(minutes=10):
        log("The team's week ends within minutes: run again after Monday 00:00 UTC.")
        return 2
    serve(rehearsal, args)
    log(
        f"Up in {time.monotonic() - began:.0f}s: gunicorn ({1 if args.smoke else 2} workers x 4 threads) on "
        f"{rehearsal.base_url}, Celery worker and beat, fake Intercom at {rehearsal.helpdesk.url} "
        f"({args.conversations} conversations, {args.latency * 1000:.0f} ms a request)."
    )
    browsers, signed_in, sign_in_errors = sign_in_phase(rehearsal.base_url, args.agents)
    load = load_phase(browsers, args.seconds)
    runs = await_sync(rehearsal.processes, load.started_at, timeout=60 if args.smoke else 240)
    print_load(load, runs, args.agents)
    statuses = gunicorn_summary(rehearsal.processes)
    checks = [
        check_errors(load, signed_in, sign_in_errors, statuses),
        check_reviews(load),
        check_sync(runs, load.runs_during, rehearsal.helpdesk, args.conversations),
    ]
    return 0 if all(checks) else 1


def prepare(rehearsal: Rehearsal, args: argparse.Namespace) -> dict:
    """Services, the database, the fake Intercom, the release steps and the seeded team."""
    rehearsal.postgres.ensure()
    if isinstance(rehearsal.redis, PrivateRedis):
        rehearsal.redis.start()
    else:
        rehearsal.redis.ensure()
        rehearsal.redis.flush()
    database_recreate(rehearsal.postgres.server_url, rehearsal.database)
    rehearsal.database_made = True
    planned, seeded = build_plan(total=args.conversations, seeded=args.seeded, now=datetime.now(UTC))
    rehearsal.helpdesk = HelpdeskProcess(agents=args.agents, planned=planned, latency=args.latency)
    rehearsal.env = app_env(
        database_url=f"{rehearsal.postgres.server_url}/{rehearsal.database}",
        redis_url=rehearsal.redis.url,
        helpdesk_url=rehearsal.helpdesk.url,
        static_root=rehearsal.processes.log_dir / "static",
        SYNC_INTERVAL_MINUTES="1",
    )
    django_setup(rehearsal.env)
    release()
    # A smoke run's batches of 1 are done within its seconds, so agents pull more too.
    figures = seed_team(agents=args.agents, conversations=seeded, reviews_per_week=1 if args.smoke else None)
    log(
        f"Seeded: {figures['agents']} agents, {figures['conversations']} reviewable conversations closed last "
        f"week ({figures['messages']} messages), week {figures['week']}: {figures['assignments']} assignments."
    )
    return figures


def serve(rehearsal: Rehearsal, args: argparse.Namespace) -> None:
    """The worker and beat first: they start up while gunicorn is awaited."""
    start_worker(rehearsal.processes, rehearsal.env)
    start_beat(rehearsal.processes, rehearsal.env, rehearsal.processes.log_dir / "celerybeat-schedule")
    recycling = ()
    if args.max_requests:
        recycling = ("--max-requests", str(args.max_requests), "--max-requests-jitter", str(args.max_requests // 10))
    # One web worker in a smoke run: each costs a Django start-up, and four threads serve four agents.
    workers = 1 if args.smoke else 2
    rehearsal.base_url = start_web(rehearsal.processes, rehearsal.env, free_port(), *recycling, workers=workers)


def sign_in_phase(base_url: str, agents: int) -> tuple[list[Browser], list[bool], list[Sample]]:
    """Every agent at once, measured on its own: each sign-in costs a password hash (~0.2 s of CPU)."""
    recorder = Recorder()
    browsers = [Browser(base_url, recorder) for _ in range(agents)]
    started = time.monotonic()
    signed_in = sign_in_all(browsers)
    seconds = time.monotonic() - started
    log(f"\nSign-in: {sum(signed_in)} of {agents} agents in {seconds:.1f}s")
    for line in latency_table(recorder.samples, seconds):
        log(line)
    return browsers, signed_in, [sample for sample in recorder.samples if not sample.ok]


def load_phase(browsers: list[Browser], seconds: float) -> Load:
    """Every agent in a thread of its own for `seconds`, with a sync sent as the load starts."""
    recorder = Recorder()
    for browser in browsers:
        browser.recorder = recorder
    started_at = datetime.now(UTC)
    send_sync_task()
    cpu_before = resource.getrusage(resource.RUSAGE_SELF)
    started = time.monotonic()
    tallies = [Tally() for _ in browsers]
    threads = [
        threading.Thread(
            target=agent_loop, args=(browser, started + seconds, tally, random.Random(number)), daemon=True
        )
        for number, (browser, tally) in enumerate(zip(browsers, tallies, strict=True))
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(seconds + 60)
    load_seconds = time.monotonic() - started
    cpu_after = resource.getrusage(resource.RUSAGE_SELF)
    client_cpu = (cpu_after.ru_utime + cpu_after.ru_stime) - (cpu_before.ru_utime + cpu_before.ru_stime)
    return Load(
        samples=recorder.samples,
        tallies=tallies,
        seconds=load_seconds,
        client_cpu=client_cpu,
        started_at=started_at,
        started=started,
        runs_during=sync_runs_since(started_at),
    )


def await_sync(processes: Processes, started_at: datetime, *, timeout: float) -> list:
    # Beat stops here, so no new sync starts while the last one is awaited.
    processes.stop("beat")

    def finished() -> bool:
        # At least one run: a worker still starting up may not have taken the task yet.
        runs = sync_runs_since(started_at)
        return bool(runs) and all(run.finished_at for run in runs)

    wait_for(finished, timeout=timeout, interval=1, what="the sync to finish")
    return sync_runs_since(started_at)


def print_load(load: Load, runs: list, agents: int) -> None:
    log(
        f"\nLoad: {agents} agents for {load.seconds:.1f}s, no think time: {len(load.samples)} requests, "
        f"{len(load.samples) / load.seconds:.1f} requests/s (client CPU {load.client_cpu:.0f}s of {load.seconds:.0f}s)"
    )
    for line in latency_table(load.samples, load.seconds):
        log(line)
    first_run = runs[0] if runs else None
    if first_run is None or not first_run.finished_at:
        return
    sync_end = (first_run.finished_at - load.started_at).total_seconds()
    while_syncing = [s for s in load.samples if s.started - load.started < sync_end]
    after_sync = [s for s in load.samples if s.started - load.started >= sync_end]
    syncing_seconds = min(sync_end, load.seconds)
    for name, chosen, seconds in (
        (f"while the sync ran (first {syncing_seconds:.1f}s)", while_syncing, syncing_seconds),
        ("after it finished", after_sync, load.seconds - sync_end),
    ):
        if chosen and seconds > 0:
            times = sorted(s.seconds * 1000 for s in chosen)
            log(
                f"  {name}: {len(chosen) / seconds:.1f} requests/s, p50 {percentile(times, 0.5):.0f} ms, "
                f"p95 {percentile(times, 0.95):.0f} ms, p99 {percentile(times, 0.99):.0f} ms"
            )


def gunicorn_summary(processes: Processes) -> Counter:
    statuses, recycles = gunicorn_figures(processes.log_text("gunicorn"))
    log(
        f"  gunicorn access log: {dict(sorted(statuses.items()))}; workers recycled by max_requests: "
        f"{len(recycles)}" + (f" (at {', '.join(at.strftime('%H:%M:%S') for at in recycles)})" if recycles else "")
    )
    return statuses


def check_errors(load: Load, signed_in: list[bool], sign_in_errors: list[Sample], statuses: Counter) -> bool:
    errors = [sample for sample in load.samples if not sample.ok]
    for sample in [*sign_in_errors, *errors]:
        at = load.started_at + timedelta(seconds=sample.started - load.started)
        log(f"  error at {at:%H:%M:%S.%f}"[:-3] + f": {sample.label} -> {sample.outcome} {sample.detail}")
    server_5xx = sum(n for code, n in statuses.items() if code >= "500")
    return verdict(
        "No errors",
        [
            (all(signed_in), f"agents signed in: {sum(signed_in)} of {len(signed_in)}"),
            (
                not sign_in_errors and not errors,
                f"client errors: {len(sign_in_errors)} during sign-in, {len(errors)} during the load",
            ),
            (server_5xx == 0, f"5xx in gunicorn's access log: {server_5xx}"),
        ],
    )


def check_reviews(load: Load) -> bool:
    """Every review the client saw stored is stored, once."""
    from django.db.models import Count

    from reviews.models import Assignment, AuditEvent, Review

    confirmed = set().union(*(tally.reviewed for tally in load.tallies))
    edits = sum(tally.edits for tally in load.tallies)
    doubles = sum(tally.double_submits for tally in load.tallies)
    stored = set(Review.objects.values_list("assignment_id", flat=True))
    twice = Review.objects.values("assignment_id").annotate(n=Count("id")).filter(n__gt=1).count()
    created_events = AuditEvent.objects.filter(action=AuditEvent.Action.REVIEW_CREATED).count()
    edited_events = AuditEvent.objects.filter(action=AuditEvent.Action.REVIEW_EDITED).count()
    not_completed = Assignment.objects.filter(review__isnull=False).exclude(status="completed").count()
    post_ok = sum(1 for s in load.samples if s.label == "POST /assignments/<id>/review/" and s.ok)
    return verdict(
        "Every submitted review stored exactly once",
        [
            (
                None,
                f"review POSTs answered 302: {post_ok} = {len(confirmed)} first submissions + {doubles} "
                f"second copies of a double submit (two tabs at once) + {edits} edits",
            ),
            (
                stored == confirmed,
                f"Review rows: {len(stored)}, reviews confirmed to the client: {len(confirmed)}; confirmed "
                f"but not stored: {len(confirmed - stored)}, stored but never confirmed: {len(stored - confirmed)}",
            ),
            (twice == 0, f"assignments with more than one review: {twice}"),
            (created_events == len(stored), f"'review created' audit events: {created_events}"),
            (edited_events == edits, f"'review edited' audit events: {edited_events} for {edits} edits"),
            (not_completed == 0, f"reviewed assignments not marked completed: {not_completed}"),
            (None, f"pulls of 3 more conversations: {sum(tally.pulls for tally in load.tallies)}"),
        ],
    )


def check_sync(runs: list, runs_during: list, helpdesk: HelpdeskProcess, conversations: int) -> bool:
    from conversations.models import Conversation

    evidence: list[tuple[bool | None, str]] = []
    for run in runs:
        took = (run.finished_at - run.started_at).total_seconds()
        during = next((r for r in runs_during if r.pk == run.pk), None)
        evidence.append(
            (
                run.status != "failed",
                f"run {run.pk}: {run.status} in {took:.1f}s; fetched {run.fetched}, created {run.created}, "
                f"updated {run.updated}, unchanged {run.unchanged}, kept {run.kept}, excluded {run.excluded} "
                f"{run.excluded_counts}, errors {run.errors}"
                + (f"; {during.fetched} fetched while the load ran" if during else "")
                + (f"; {run.error_text}" if run.error_text else ""),
            )
        )
    stored = Conversation.objects.count()
    duplicates = duplicate_conversations()
    stats = helpdesk.stats()
    succeeded = sum(run.status == "succeeded" for run in runs)
    evidence += [
        (succeeded > 0, f"runs that succeeded: {succeeded} of {len(runs)} (beat sends one a minute)"),
        (stored == conversations, f"conversations stored: {stored} (the helpdesk has {conversations})"),
        (duplicates == 0, f"duplicate conversations: {duplicates}"),
        (None, f"helpdesk requests: {stats['requests']} ({stats['searches']} search pages)"),
    ]
    return verdict("The sync ran alongside the load and stored everything once", evidence)


def clean_up(rehearsal: Rehearsal, began: float) -> None:
    if rehearsal.helpdesk is not None:
        rehearsal.helpdesk.stop()
    rehearsal.processes.stop_all()
    shutil.rmtree(rehearsal.processes.log_dir / "static", ignore_errors=True)  # collectstatic's copy; the logs stay
    if "django" in sys.modules:
        from django.db import connections

        connections.close_all()
    if rehearsal.database_made:
        database_drop(rehearsal.postgres.server_url, rehearsal.database)
    rehearsal.redis.cleanup()
    rehearsal.postgres.cleanup()
    redis = "the private Redis removed" if rehearsal.smoke else "Redis db 13 flushed"
    log(f"\nCleaned up (database {rehearsal.database} dropped, {redis}); total {time.monotonic() - began:.0f}s")


if __name__ == "__main__":
    sys.exit(main())
