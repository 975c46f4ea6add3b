"""Carousel's production shape under load, with a helpdesk sync running at the same time.

    .venv/bin/python ops/loadtest.py [--agents 40] [--seconds 60] [--conversations 2000]

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
figures; exits non-zero if a check fails.
"""

from __future__ import annotations

import argparse
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
    ROOT,
    Browser,
    HelpdeskProcess,
    Planned,
    Processes,
    Recorder,
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
    manage,
    percentile,
    raise_on_sigterm,
    seed_team,
    send_sync_task,
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


def main() -> int:
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
    args = parser.parse_args()
    raise_on_sigterm()

    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    run_dir = ROOT / "var" / "ops" / f"loadtest-{stamp}"
    processes = Processes(run_dir)
    postgres, redis = SharedPostgres(), SharedRedis()
    helpdesk: HelpdeskProcess | None = None
    database_made = False
    began = time.monotonic()
    checks: list[bool] = []
    try:
        log(f"Logs: {run_dir.relative_to(ROOT)}")
        postgres.ensure()
        redis.ensure()
        redis.flush()
        database_recreate(postgres.server_url, DATABASE)
        database_made = True

        now = datetime.now(UTC)
        planned, seeded = build_plan(total=args.conversations, seeded=args.seeded, now=now)
        helpdesk = HelpdeskProcess(agents=args.agents, planned=planned, latency=args.latency)
        env = app_env(
            database_url=f"{postgres.server_url}/{DATABASE}",
            redis_url=redis.url,
            helpdesk_url=helpdesk.url,
            static_root=run_dir / "static",
            SYNC_INTERVAL_MINUTES="1",
        )
        manage(env, "migrate", "--noinput")
        manage(env, "collectstatic", "--noinput")
        django_setup(env)
        figures = seed_team(agents=args.agents, conversations=seeded)
        log(
            f"Seeded: {figures['agents']} agents, {figures['conversations']} reviewable conversations closed last "
            f"week ({figures['messages']} messages), week {figures['week']}: {figures['assignments']} assignments."
        )
        if figures["week_ends"] - datetime.now(UTC) < timedelta(minutes=10):
            log("The team's week ends within minutes: run again after Monday 00:00 UTC.")
            return 2

        port = free_port()
        recycling = ()
        if args.max_requests:
            recycling = (
                "--max-requests",
                str(args.max_requests),
                "--max-requests-jitter",
                str(args.max_requests // 10),
            )
        base_url = start_web(processes, env, port, *recycling)
        start_worker(processes, env)
        start_beat(processes, env, run_dir / "celerybeat-schedule")
        log(
            f"Up in {time.monotonic() - began:.0f}s: gunicorn (2 workers x 4 threads) on {base_url}, Celery worker "
            f"and beat, fake Intercom at {helpdesk.url} ({args.conversations} conversations, "
            f"{args.latency * 1000:.0f} ms a request)."
        )

        # Sign-in first, measured on its own: each costs a password hash (~0.2 s of CPU).
        sign_in_recorder = Recorder()
        browsers = [Browser(base_url, sign_in_recorder) for _ in range(args.agents)]
        sign_in_started = time.monotonic()
        signed_in = sign_in_all(browsers)
        sign_in_seconds = time.monotonic() - sign_in_started
        log(f"\nSign-in: {sum(signed_in)} of {args.agents} agents in {sign_in_seconds:.1f}s")
        for line in latency_table(sign_in_recorder.samples, sign_in_seconds):
            log(line)

        # The load, with a sync running.
        recorder = Recorder()
        for browser in browsers:
            browser.recorder = recorder
        load_started_at = datetime.now(UTC)
        send_sync_task()
        cpu_before = resource.getrusage(resource.RUSAGE_SELF)
        load_started = time.monotonic()
        deadline = load_started + args.seconds
        tallies = [Tally() for _ in browsers]
        threads = [
            threading.Thread(target=agent_loop, args=(browser, deadline, tally, random.Random(number)), daemon=True)
            for number, (browser, tally) in enumerate(zip(browsers, tallies, strict=True))
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(args.seconds + 60)
        load_seconds = time.monotonic() - load_started
        cpu_after = resource.getrusage(resource.RUSAGE_SELF)
        client_cpu = (cpu_after.ru_utime + cpu_after.ru_stime) - (cpu_before.ru_utime + cpu_before.ru_stime)
        runs_during_load = sync_runs_since(load_started_at)

        # Beat stops here, so no new sync starts while the last one is awaited.
        processes.stop("beat")
        wait_for(
            lambda: all(run.finished_at for run in sync_runs_since(load_started_at)),
            timeout=240,
            interval=1,
            what="the sync to finish",
        )
        runs = sync_runs_since(load_started_at)
        samples = recorder.samples
        errors = [sample for sample in samples if not sample.ok]
        sign_in_errors = [sample for sample in sign_in_recorder.samples if not sample.ok]

        log(
            f"\nLoad: {args.agents} agents for {load_seconds:.1f}s, no think time: {len(samples)} requests, "
            f"{len(samples) / load_seconds:.1f} requests/s (client CPU {client_cpu:.0f}s of {load_seconds:.0f}s)"
        )
        for line in latency_table(samples, load_seconds):
            log(line)
        first_run = runs[0] if runs else None
        if first_run is not None and first_run.finished_at:
            sync_end = (first_run.finished_at - load_started_at).total_seconds()
            while_syncing = [s for s in samples if s.started - load_started < sync_end]
            after_sync = [s for s in samples if s.started - load_started >= sync_end]
            for name, chosen, seconds in (
                (
                    f"while the sync ran (first {min(sync_end, load_seconds):.1f}s)",
                    while_syncing,
                    min(sync_end, load_seconds),
                ),
                ("after it finished", after_sync, load_seconds - sync_end),
            ):
                if chosen and seconds > 0:
                    times = sorted(s.seconds * 1000 for s in chosen)
                    log(
                        f"  {name}: {len(chosen) / seconds:.1f} requests/s, p50 {percentile(times, 0.5):.0f} ms, "
                        f"p95 {percentile(times, 0.95):.0f} ms, p99 {percentile(times, 0.99):.0f} ms"
                    )
        statuses, recycles = gunicorn_figures(processes.log_text("gunicorn"))
        log(
            f"  gunicorn access log: {dict(sorted(statuses.items()))}; workers recycled by max_requests: "
            f"{len(recycles)}" + (f" (at {', '.join(at.strftime('%H:%M:%S') for at in recycles)})" if recycles else "")
        )
        for sample in [*sign_in_errors, *errors]:
            at = load_started_at + timedelta(seconds=sample.started - load_started)
            log(f"  error at {at:%H:%M:%S.%f}"[:-3] + f": {sample.label} -> {sample.outcome} {sample.detail}")
        server_5xx = sum(n for code, n in statuses.items() if code >= "500")
        checks.append(
            verdict(
                "No errors",
                [
                    (all(signed_in), f"agents signed in: {sum(signed_in)} of {args.agents}"),
                    (
                        not sign_in_errors and not errors,
                        f"client errors: {len(sign_in_errors)} during sign-in, {len(errors)} during the load",
                    ),
                    (server_5xx == 0, f"5xx in gunicorn's access log: {server_5xx}"),
                ],
            )
        )

        # Every review the client saw stored is stored, once.
        from django.db.models import Count

        from reviews.models import Assignment, AuditEvent, Review

        confirmed = set().union(*(tally.reviewed for tally in tallies))
        edits = sum(tally.edits for tally in tallies)
        doubles = sum(tally.double_submits for tally in tallies)
        pulls = sum(tally.pulls for tally in tallies)
        stored = set(Review.objects.values_list("assignment_id", flat=True))
        twice = Review.objects.values("assignment_id").annotate(n=Count("id")).filter(n__gt=1).count()
        created_events = AuditEvent.objects.filter(action=AuditEvent.Action.REVIEW_CREATED).count()
        edited_events = AuditEvent.objects.filter(action=AuditEvent.Action.REVIEW_EDITED).count()
        not_completed = Assignment.objects.filter(review__isnull=False).exclude(status="completed").count()
        post_ok = sum(1 for s in samples if s.label == "POST /assignments/<id>/review/" and s.ok)
        checks.append(
            verdict(
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
                        f"but not stored: {len(confirmed - stored)}, stored but never confirmed: "
                        f"{len(stored - confirmed)}",
                    ),
                    (twice == 0, f"assignments with more than one review: {twice}"),
                    (created_events == len(stored), f"'review created' audit events: {created_events}"),
                    (edited_events == edits, f"'review edited' audit events: {edited_events} for {edits} edits"),
                    (not_completed == 0, f"reviewed assignments not marked completed: {not_completed}"),
                    (None, f"pulls of 3 more conversations: {pulls}"),
                ],
            )
        )

        # The sync.
        from conversations.models import Conversation

        evidence: list[tuple[bool | None, str]] = []
        for run in runs:
            took = (run.finished_at - run.started_at).total_seconds()
            during = next((r for r in runs_during_load if r.pk == run.pk), None)
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
        stored_conversations = Conversation.objects.count()
        duplicates = duplicate_conversations()
        stats = helpdesk.stats()
        evidence += [
            (
                any(run.status == "succeeded" for run in runs),
                f"runs that succeeded: "
                f"{sum(run.status == 'succeeded' for run in runs)} of {len(runs)} (beat sends one a minute)",
            ),
            (
                stored_conversations == args.conversations,
                f"conversations stored: {stored_conversations} (the helpdesk has {args.conversations})",
            ),
            (duplicates == 0, f"duplicate conversations: {duplicates}"),
            (None, f"helpdesk requests: {stats['requests']} ({stats['searches']} search pages)"),
        ]
        checks.append(verdict("The sync ran alongside the load and stored everything once", evidence))
        return 0 if all(checks) else 1
    finally:
        if helpdesk is not None:
            helpdesk.stop()
        processes.stop_all()
        shutil.rmtree(run_dir / "static", ignore_errors=True)  # collectstatic's copy; the logs stay
        if "django" in sys.modules:
            from django.db import connections

            connections.close_all()
        if database_made:
            database_drop(postgres.server_url, DATABASE)
        redis.cleanup()
        postgres.cleanup()
        log(f"\nCleaned up (database {DATABASE} dropped, Redis db 13 flushed); total {time.monotonic() - began:.0f}s")


if __name__ == "__main__":
    sys.exit(main())
