"""How fast the Intercom sync is, against a local Intercom over real HTTP.

    .venv/bin/python bench/sync.py --repeat 3           # everything, both databases (~15 minutes)
    .venv/bin/python bench/sync.py --conversations 2000 --database sqlite --skip-rate-limited
    .venv/bin/python bench/sync.py --skip-overhead --rate-limited-conversations 1000
    .venv/bin/python bench/sync.py --smoke              # the same runs in seconds (what scripts/test does)

Two targets are measured:

1. Overhead (no latency, no rate limit). A full ``conversations_sync`` of N conversations
   (about 10 parts each) is timed against its *floor*: the same search pages and
   conversation details fetched over HTTP with the same concurrency, and the same rows
   bulk-inserted (Conversation + Message) with no per-row work at all. Target: the sync
   takes at most 1.3x the floor. The sync is also run at N/4 to show its peak memory
   does not grow with the number of conversations. The sync is run once more without the
   spotlight measures (the customer's sentiment and the back-and-forths; conversations/
   spotlight.py), and their own time inside the sync is summed: target, at most 10% of the
   sync's time above its floor.
2. Rate-limited (5,000 conversations, 50 ms per request, 500 requests per 10 s window).
   The floor is requests / 50 per second. Target: at most 1.1x that, with a handful of 429s.
   It takes about two minutes per database; --skip-rate-limited leaves it out.

The machine is shared (the fake Intercom and PostgreSQL need CPU too), so wall-clock
figures are noisy: --repeat N runs the floor and the sync N times each, interleaved, and
keeps the fastest of each. The sync's own CPU seconds are shown beside them.

Django settings can be configured once per process, so every measurement runs in a
fresh subprocess of this script (``--worker``), and the fake Intercom runs in a process
of its own (like the real one, it does not share the sync's CPU time or memory).
The figures come back to the parent as one JSON line and are printed as a table.

Exits 1 when a target is missed. --smoke runs every measurement at a small size (SQLite
unless --database says otherwise; its files in a temporary folder, its PostgreSQL database
named for the process and dropped) and exits 1 when the figures themselves are wrong: a
sync that fails or stores other counts, fewer requests than the floor, a rate limit beaten
or ignored. At that size the targets say nothing, so they are shown but not checked. Exit
77: PostgreSQL was asked for and is not reachable.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import multiprocessing
import os
import resource
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

from common import (
    BENCH_DIR,
    EXIT_MISSING,
    ROOT,
    database_url,
    postgres_database_drop,
    postgres_database_ensure,
    postgres_missing,
    smoke_dir,
    smoke_postgres_name,
    sqlite_remove,
)
from common import django_setup as _django_setup

SQLITE_PATH = BENCH_DIR / "bench.sqlite3"
POSTGRES_DB = "carousel_bench"
RESULT_PREFIX = "BENCH-RESULT "

OVERHEAD_TARGET = 1.3
SPOTLIGHT_TARGET = 1.1  # the sync's overhead with its spotlight measures, over the overhead without
RATE_LIMITED_TARGET = 1.1
RATE_LIMITED_CONVERSATIONS = 5000
RATE_LIMITED_LATENCY = 0.05
RATE_LIMIT = (500, 10.0)
# A smoke run: 60 conversations rate-limited at 50 requests a second, so the limit binds
# (four fetches at a time with 50 ms latency would make 80) within a few seconds.
SMOKE_SIZES = {"conversations": 60, "database": "sqlite", "rate_limited_conversations": 60, "repeat": 1}
SMOKE_RATE_LIMIT = (50, 1.0)
SMOKE_MAX_429S = 5
PAGE_SIZE = 150  # Intercom's maximum, what the client asks for
REPLIES = 5  # each conversation: the customer's message plus 10 parts
AGENTS = 20
TEAMS = 4
AGENT_REPLY_WITH_LIST = (
    "<p>I have reissued it.<br>You should see the corrected total now.</p><ul><li>Invoice 1</li><li>Invoice 2</li></ul>"
)
CUSTOMER_REPLY = "<p>Thanks &amp; yes, the <i>March</i> one still shows the old total.</p>"
# Conversations were updated in the last weeks, one a second.
BASE_TIME = int(datetime(2026, 11, 1, 9, 0, tzinfo=UTC).timestamp())


# --- the data ------------------------------------------------------------------------
def build_helpdesk_data(count: int) -> tuple[list[dict], list[dict], list[dict]]:
    """Conversations, admins and teams.

    Nine in ten are ``reviewable_conversation`` (the customer's message and ten parts);
    every tenth is built part by part (see ``composed_parts``); one in fifty of those is
    tagged Spam (excluded).
    """
    from conversations.tests import fake_intercom as fake

    teams = [
        fake.team(str(700 + t), f"Team {t}", admin_ids=[str(101 + a) for a in range(AGENTS) if a % TEAMS == t])
        for t in range(TEAMS)
    ]
    admins = [
        fake.admin(str(101 + a), f"Agent {a}", f"agent{a}@example.com", team_ids=[700 + a % TEAMS])
        for a in range(AGENTS)
    ]
    conversations = []
    for index in range(count):
        conversation_id = str(100_000 + index)
        admin_id = str(101 + index % AGENTS)
        updated_at = BASE_TIME + index
        extra: dict = {}
        if index % 3 == 0:
            extra.update(rating=index % 5 + 1, remark="Quick and kind" if index % 2 else "")
        if index % 7 == 0:
            extra["team_id"] = str(700 + index % TEAMS)
        if index % 10 == 9:
            if index % 50 == 49:
                extra["tags"] = ("Spam",)
            parts = composed_parts(conversation_id, admin_id, updated_at)
            conversations.append(
                fake.conversation(conversation_id, updated_at=updated_at, admin_id=admin_id, parts=parts, **extra)
            )
        else:
            extra.setdefault("tags", ("billing",) if index % 4 else ("billing", "refund"))
            conversations.append(
                fake.reviewable_conversation(
                    conversation_id, updated_at=updated_at, admin_id=admin_id, replies=REPLIES, **extra
                )
            )
    return conversations, admins, teams


def composed_parts(conversation_id: str, admin_id: str, updated_at: int) -> list[dict]:
    """A Fin answer, an empty assignment part, a note, then the agent and customer talk."""
    from conversations.tests import fake_intercom as fake

    parts = [
        fake.part(
            1,
            author_type="bot",
            author_id="9",
            body="<p>Fin here: have you tried the help centre?</p>",
            created_at=updated_at - 900,
            author_name="Fin",
            from_ai_agent=True,
        ),
        fake.part(
            2, author_type="admin", author_id=admin_id, body=None, created_at=updated_at - 880, part_type="assignment"
        ),
        fake.part(
            3,
            author_type="admin",
            author_id=admin_id,
            part_type="note",
            created_at=updated_at - 870,
            body="<p>Customer on the <b>annual</b> plan; check the <a href='https://billing.example/x'>invoice</a>.</p>",
        ),
    ]
    for turn in range(7):
        customer = turn % 2 == 1
        parts.append(
            fake.part(
                4 + turn,
                author_type="user" if customer else "admin",
                author_id=f"contact-{conversation_id}" if customer else admin_id,
                created_at=updated_at - 800 + turn * 90,
                body=CUSTOMER_REPLY if customer else AGENT_REPLY_WITH_LIST,
            )
        )
    return parts


# --- the fake Intercom, in a process of its own -----------------------------------------
def _serve(connection, count: int, latency: float, rate_limit) -> None:
    from conversations.tests.fake_intercom import FakeIntercom

    conversations, admins, teams = build_helpdesk_data(count)
    server = FakeIntercom(
        conversations=conversations,
        admins=admins,
        teams=teams,
        latency=latency,
        rate_limit=tuple(rate_limit) if rate_limit else None,
    ).start()
    messages = sum(
        1 + sum(1 for part in conversation["conversation_parts"]["conversation_parts"] if part["body"])
        for conversation in conversations
    )
    del conversations
    connection.send({"url": server.url, "messages": messages})
    while True:
        command = connection.recv()
        if command == "stats":
            connection.send({"requests": len(server.log), "too_many_requests": server.too_many_requests})
        elif command == "stop":
            server.stop()
            connection.send("stopped")
            return


class ServerProcess:
    def __init__(self, count: int, latency: float = 0.0, rate_limit=None):
        context = multiprocessing.get_context("spawn")
        self.connection, child = context.Pipe()
        self.process = context.Process(target=_serve, args=(child, count, latency, rate_limit), daemon=True)
        self.process.start()
        # Only the child holds its end now: if it dies, recv() raises EOFError instead of waiting forever.
        child.close()
        ready = self.connection.recv()
        self.url, self.messages = ready["url"], ready["messages"]

    def stats(self) -> dict:
        self.connection.send("stats")
        return self.connection.recv()

    def stop(self) -> None:
        self.connection.send("stop")
        self.connection.recv()
        self.process.join(5)


# --- inside a worker: Django set up for one database ---------------------------------------
def django_setup(args: argparse.Namespace) -> None:
    url = database_url(args.database, sqlite_path=Path(args.sqlite_path), postgres_db=args.postgres_db)
    _django_setup(url, static_root=Path(args.static_root) if args.static_root else None)
    from django.conf import settings

    # A deployed sync runs with DEBUG off. With it on, Django keeps the SQL text of the
    # last 9,000 queries, bulk inserts included: that costs time and, worse for a
    # benchmark, memory that grows with the number of pages.
    settings.DEBUG = False


def rss_mb() -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def flush() -> None:
    from django.core.management import call_command

    call_command("flush", interactive=False, verbosity=0)


def check_stored(expected_conversations: int, expected_messages: int) -> tuple[int, int]:
    from conversations.models import Conversation, Message

    stored = Conversation.objects.count(), Message.objects.count()
    if stored != (expected_conversations, expected_messages):
        raise SystemExit(
            f"Expected {expected_conversations} conversations and {expected_messages} messages, stored {stored}"
        )
    return stored


def run_sync(server: ServerProcess, count: int, concurrency: int) -> dict:
    from django.conf import settings

    from conversations.helpdesks.intercom import IntercomClient
    from conversations.models import SyncRun
    from conversations.services import conversations_sync
    from conversations.tests.fake_intercom import TOKEN

    client = IntercomClient(
        access_token=TOKEN,
        api_base=server.url,
        timeout=settings.HELPDESK_TIMEOUT_SECONDS,
        max_retries=settings.HELPDESK_MAX_RETRIES,
        concurrency=concurrency,
    )
    before = server.stats()
    started = time.perf_counter()
    run = conversations_sync(source="intercom", helpdesk=client)
    elapsed = time.perf_counter() - started
    after = server.stats()
    if run.status != SyncRun.Status.SUCCEEDED or run.fetched != count or run.errors:
        raise SystemExit(f"The sync did not succeed: {run.status} fetched={run.fetched} {run.error_text}")
    stored = check_stored(count, server.messages)
    return {
        "seconds": elapsed,
        "requests": after["requests"] - before["requests"],
        "too_many_requests": after["too_many_requests"] - before["too_many_requests"],
        "conversations": stored[0],
        "messages": stored[1],
        "kept": run.kept,
        "excluded": run.excluded,
    }


def run_floor(server: ServerProcess, count: int, concurrency: int) -> dict:
    """The least a sync can do: fetch the same pages and details, bulk-insert the same rows."""
    from concurrent.futures import ThreadPoolExecutor

    import requests
    from requests.adapters import HTTPAdapter

    from conversations.tests.fake_intercom import TOKEN

    session = requests.Session()
    session.headers.update(
        {"Accept": "application/json", "Authorization": f"Bearer {TOKEN}", "Intercom-Version": "2.16"}
    )
    session.mount("http://", HTTPAdapter(pool_connections=1, pool_maxsize=concurrency))

    def detail(external_id: str) -> dict:
        return session.get(f"{server.url}/conversations/{external_id}", timeout=30).json()

    before = server.stats()
    started = time.perf_counter()
    starting_after = None
    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        while True:
            pagination = {"per_page": PAGE_SIZE}
            if starting_after:
                pagination["starting_after"] = starting_after
            body = {"query": {"field": "updated_at", "operator": ">", "value": 0}, "pagination": pagination}
            page = session.post(f"{server.url}/conversations/search", json=body, timeout=30).json()
            floor_insert(list(pool.map(detail, [str(item["id"]) for item in page["conversations"]])))
            starting_after = ((page.get("pages") or {}).get("next") or {}).get("starting_after")
            if not starting_after:
                break
    elapsed = time.perf_counter() - started
    after = server.stats()
    session.close()
    stored = check_stored(count, server.messages)
    return {
        "seconds": elapsed,
        "requests": after["requests"] - before["requests"],
        "too_many_requests": after["too_many_requests"] - before["too_many_requests"],
        "conversations": stored[0],
        "messages": stored[1],
    }


def floor_insert(payloads: list[dict]) -> None:
    """One page's conversations and messages, bulk-inserted with no per-row work."""
    from django.db import transaction

    from conversations.models import Conversation, Message

    def at(value):
        return datetime.fromtimestamp(value, tz=UTC)

    rows = [
        Conversation(
            source="intercom",
            external_id=payload["id"],
            subject=payload["title"],
            state=payload["state"],
            created_at=at(payload["created_at"]),
            updated_at=at(payload["updated_at"]),
            tags=[tag["name"] for tag in payload["tags"]["tags"]],
        )
        for payload in payloads
    ]
    with transaction.atomic():
        Conversation.objects.bulk_create(rows)
        messages = []
        for row, payload in zip(rows, payloads, strict=True):
            source = payload["source"]
            messages.append(
                Message(
                    conversation_id=row.pk,
                    external_id=f"source-{source['id']}",
                    author_kind="customer",
                    created_at=row.created_at,
                    body_html=source["body"],
                    body_text=source["body"],
                )
            )
            messages += [
                Message(
                    conversation_id=row.pk,
                    external_id=str(part["id"]),
                    author_kind="agent",
                    created_at=at(part["created_at"]),
                    body_html=part["body"],
                    body_text=part["body"],
                )
                for part in payload["conversation_parts"]["conversation_parts"]
                if part["body"]
            ]
        Message.objects.bulk_create(messages, batch_size=2000)


def worker(args: argparse.Namespace) -> None:
    """Runs the plan, items like ``floor:2000``, and prints one result line for each."""
    django_setup(args)
    for item in args.worker.split(","):
        kind, _, count = item.partition(":")
        if kind == "prepare":
            from django.core.management import call_command

            call_command("migrate", verbosity=0)
            result: dict = {"run": kind}
        else:
            result = measured(kind, int(count), args)
        print(RESULT_PREFIX + json.dumps(result), flush=True)


@contextlib.contextmanager
def spotlight_measures(*, on: bool) -> Iterator[list[float]]:
    """With `on` false, the sync stores no sentiment and no back-and-forths: what they cost.
    With it, yields the CPU seconds spent in them (summed over the sync's threads), the cost
    measured directly rather than as the difference of two noisy runs."""
    from conversations import spotlight

    measures = spotlight.customer_sentiment, spotlight.back_and_forths
    spent = [0.0]

    def timed(measure):
        def run(values):
            values = list(values)  # the message rows are read inside the timing, as the sync does
            started = time.thread_time()  # this thread's CPU: waits for the GIL are not its cost
            try:
                return measure(values)
            finally:
                spent[0] += time.thread_time() - started

        return run

    if on:
        spotlight.customer_sentiment, spotlight.back_and_forths = map(timed, measures)
    else:
        spotlight.customer_sentiment = lambda bodies: None  # type: ignore[assignment]
        spotlight.back_and_forths = lambda kinds: 0  # type: ignore[assignment]
    try:
        yield spent
    finally:
        spotlight.customer_sentiment, spotlight.back_and_forths = measures


def measured(kind: str, count: int, args: argparse.Namespace) -> dict:
    from django.conf import settings
    from django.db import connection

    rate_limited = kind == "rate-limited"
    server = ServerProcess(
        count,
        latency=RATE_LIMITED_LATENCY if rate_limited else 0.0,
        rate_limit=rate_limit_for(args.smoke) if rate_limited else None,
    )
    try:
        flush()
        connection.close()
        concurrency = args.concurrency or settings.HELPDESK_CONCURRENCY
        rss_before, cpu_before = rss_mb(), cpu_seconds()
        run = run_floor if kind == "floor" else run_sync
        with spotlight_measures(on=kind != "sync-unmeasured") as spent:
            result = run(server, count, concurrency)
        result["spotlight_seconds"] = spent[0]
        result.update(
            database=args.database,
            run=kind,
            concurrency=concurrency,
            cpu_seconds=cpu_seconds() - cpu_before,
            rss_before_mb=rss_before,
            peak_rss_mb=peak_rss_mb(),
        )
        flush()
    finally:
        server.stop()
    return result


# --- the parent: one subprocess per measurement, then a table --------------------------------
def rate_limit_for(smoke: bool) -> tuple[int, float]:
    return SMOKE_RATE_LIMIT if smoke else RATE_LIMIT


def ensure_database(database: str, args: argparse.Namespace) -> None:
    if database == "sqlite":
        Path(args.sqlite_path).parent.mkdir(parents=True, exist_ok=True)
        sqlite_remove(Path(args.sqlite_path))
        return
    postgres_database_ensure(args.postgres_db)


def measure(plan: list[tuple[str, int]], database: str, args: argparse.Namespace) -> list[dict]:
    """Runs the plan, (kind, conversations) pairs, in one subprocess; a full run gives each its own."""
    print(f"... {database}: " + ", ".join(f"{kind} {count:,}" if count else kind for kind, count in plan), flush=True)
    command = [sys.executable, __file__, "--database", database]
    command += ["--worker", ",".join(f"{kind}:{count}" for kind, count in plan)]
    command += ["--sqlite-path", args.sqlite_path, "--postgres-db", args.postgres_db]
    if args.static_root:
        command += ["--static-root", args.static_root]
    if args.concurrency:
        command += ["--concurrency", str(args.concurrency)]
    if args.smoke:
        command.append("--smoke")
    finished = subprocess.run(command, cwd=ROOT, stdout=subprocess.PIPE, text=True, check=False)
    results = [
        json.loads(line.removeprefix(RESULT_PREFIX))
        for line in finished.stdout.splitlines()
        if line.startswith(RESULT_PREFIX)
    ]
    if finished.returncode or len(results) != len(plan):
        print(finished.stdout, file=sys.stderr)
        raise SystemExit(f"The run of {plan} on {database} failed (exit {finished.returncode}).")
    for result in results:
        if "seconds" in result:
            print(f"    {result['run']}: {result['seconds']:.2f} s, {result['cpu_seconds']:.2f} CPU s", flush=True)
    return results


def fastest(runs: list[dict]) -> dict:
    best = dict(min(runs, key=lambda run: run["seconds"]))
    best["samples"] = [run["seconds"] for run in runs]
    best["peak_rss_mb"] = max(run["peak_rss_mb"] for run in runs)
    return best


def load_average() -> str:
    return " ".join(f"{value:.2f}" for value in os.getloadavg())


def print_overhead_table(overhead: dict[str, dict], conversations: int) -> None:
    any_floor = next(iter(overhead.values()))["floor"]
    print()
    print(
        f"Overhead: {conversations:,} conversations, {any_floor['messages']:,} messages "
        f"(about {any_floor['messages'] / any_floor['conversations']:.0f} each), no latency, no rate limit, "
        f"{any_floor['concurrency']} concurrent detail fetches"
    )
    header = (
        f"{'database':<9} {'run':<16} {'conversations':>13} {'seconds':>8} {'conv/s':>7} {'CPU s':>6} "
        f"{'requests':>8} {'peak RSS MB':>11} {'growth MB':>9} {'x floor':>7}  samples (s)"
    )
    print(header)
    print("-" * len(header))
    for database, runs in overhead.items():
        floor = runs["floor"]["seconds"]
        for label, key in (
            ("floor", "floor"),
            ("full sync", "sync"),
            ("no spotlight", "sync-unmeasured"),
            ("full sync (1/4)", "sync-small"),
        ):
            run = runs.get(key)
            if not run:
                continue
            ratio = f"{run['seconds'] / floor:.2f}" if key != "sync-small" else ""
            samples = ", ".join(f"{sample:.2f}" for sample in run["samples"])
            print(
                f"{database:<9} {label:<16} {run['conversations']:>13,} {run['seconds']:>8.2f} "
                f"{run['conversations'] / run['seconds']:>7.0f} {run['cpu_seconds']:>6.1f} {run['requests']:>8,} "
                f"{run['peak_rss_mb']:>11.0f} {run['peak_rss_mb'] - run['rss_before_mb']:>9.0f} {ratio:>7}  "
                f"{samples}"
            )
    print()


def overhead_verdicts(overhead: dict[str, dict]) -> bool:
    all_met = True
    for database, runs in overhead.items():
        ratio = runs["sync"]["seconds"] / runs["floor"]["seconds"]
        met = ratio <= OVERHEAD_TARGET
        all_met &= met
        cpu_ratio = runs["sync"]["cpu_seconds"] / runs["floor"]["cpu_seconds"]
        line = (
            f"{database}: full sync {ratio:.2f}x its floor, {'meets' if met else 'MISSES'} the {OVERHEAD_TARGET}x "
            f"target (its own CPU seconds: {cpu_ratio:.2f}x the floor's)"
        )
        if "sync-small" in runs:
            big, little = runs["sync"], runs["sync-small"]
            line += (
                f"; peak RSS {little['peak_rss_mb']:.0f} MB at {little['conversations']:,} and "
                f"{big['peak_rss_mb']:.0f} MB at {big['conversations']:,} conversations"
            )
        print(line)
        # Measured inside the sync: the seconds spent computing them, against the sync's
        # overhead (its time above the floor). The runs without them are shown as a check.
        spent = runs["sync"]["spotlight_seconds"]
        overhead_seconds = runs["sync"]["seconds"] - runs["floor"]["seconds"]
        share = spent / overhead_seconds if overhead_seconds > 0 else math.inf
        spotlight_met = share <= SPOTLIGHT_TARGET - 1
        all_met &= spotlight_met
        print(
            f"{database}: the spotlight measures took {spent:.2f} s of the sync's {overhead_seconds:.2f} s above "
            f"its floor ({share:.1%}; {spent / runs['sync']['seconds']:.1%} of the whole sync), "
            f"{'meets' if spotlight_met else 'MISSES'} the {SPOTLIGHT_TARGET - 1:.0%} target; the fastest sync "
            f"without them took {runs['sync-unmeasured']['seconds']:.2f} s, with them {runs['sync']['seconds']:.2f} s"
        )
    return all_met


def rate_limited_table(rate_limited: dict[str, dict], limit: tuple[int, float]) -> bool:
    requests_per_window, window = limit
    per_second = requests_per_window / window
    print()
    print(
        f"Rate-limited: {RATE_LIMITED_LATENCY * 1000:.0f} ms per request, {requests_per_window} requests per "
        f"{window:g} s window; floor = requests / {per_second:g} per second"
    )
    header = (
        f"{'database':<9} {'conversations':>13} {'concurrency':>11} {'requests':>8} {'429s':>5} "
        f"{'elapsed s':>9} {'floor s':>8} {'ratio':>6}  verdict"
    )
    print(header)
    print("-" * len(header))
    all_met = True
    for database, run in rate_limited.items():
        floor = run["requests"] / per_second
        ratio = run["seconds"] / floor
        met = ratio <= RATE_LIMITED_TARGET
        all_met &= met
        print(
            f"{database:<9} {run['conversations']:>13,} {run['concurrency']:>11} {run['requests']:>8,} "
            f"{run['too_many_requests']:>5} {run['seconds']:>9.1f} {floor:>8.1f} {ratio:>6.2f}  "
            f"{'meets' if met else 'MISSES'} the {RATE_LIMITED_TARGET}x target"
        )
    return all_met


def smoke_problems(overhead: dict[str, dict], rate_limited: dict[str, dict], limit: tuple[int, float]) -> list[str]:
    """What says the measurements themselves are wrong, whatever the machine's speed.

    (The workers already refuse a sync that failed or stored other counts than the helpdesk holds.)
    """
    problems = []
    for database, runs in overhead.items():
        floor, sync = runs["floor"], runs["sync"]
        if not all(run["seconds"] > 0 and run["cpu_seconds"] > 0 for run in runs.values()):
            problems.append(f"{database}: a run timed zero seconds")
        # The sync also asks for the workspace, teams and admins; it can never need fewer requests.
        if sync["requests"] < floor["requests"]:
            problems.append(f"{database}: the sync made {sync['requests']} requests, its floor {floor['requests']}")
    requests_per_window, window = limit
    for database, run in rate_limited.items():
        # However fast the client, each full window lets only so many requests through.
        least = (math.ceil(run["requests"] / requests_per_window) - 1) * window * 0.9
        if run["seconds"] < least:
            problems.append(
                f"{database}: {run['requests']} requests in {run['seconds']:.2f}s beat the rate limit "
                f"({requests_per_window} per {window:g}s window): the limit was not enforced"
            )
        if run["too_many_requests"] > SMOKE_MAX_429S:
            problems.append(
                f"{database}: {run['too_many_requests']} answers were 429 (more than {SMOKE_MAX_429S}): "
                "the client did not pace itself by the rate-limit headers"
            )
    return problems


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--conversations", type=int, default=20_000, help="conversations in the overhead runs")
    parser.add_argument("--database", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--skip-rate-limited", action="store_true", help="leave out the ~2 minute rate-limited run")
    parser.add_argument("--skip-overhead", action="store_true", help="run only the rate-limited scenario")
    parser.add_argument(
        "--rate-limited-conversations",
        type=int,
        default=RATE_LIMITED_CONVERSATIONS,
        help=f"conversations in the rate-limited run (default {RATE_LIMITED_CONVERSATIONS:,})",
    )
    parser.add_argument("--repeat", type=int, default=1, help="run floor and sync this many times, keep the fastest")
    parser.add_argument(
        "--concurrency", type=int, default=None, help="concurrent detail fetches (default: HELPDESK_CONCURRENCY, 4)"
    )
    parser.add_argument(
        "--smoke",
        action="store_true",
        help=f"seconds, not minutes: {SMOKE_SIZES}, a tight rate limit; checks the figures, not the targets",
    )
    parser.add_argument("--worker", metavar="PLAN", help=argparse.SUPPRESS)
    parser.add_argument("--sqlite-path", default=str(SQLITE_PATH), help=argparse.SUPPRESS)
    parser.add_argument("--postgres-db", default=POSTGRES_DB, help=argparse.SUPPRESS)
    parser.add_argument("--static-root", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.smoke and not args.worker:
        # Smoke sizes replace the defaults; options given on the command line still win.
        parser.set_defaults(**SMOKE_SIZES)
        args = parser.parse_args()
    return args


def run_database(database: str, args: argparse.Namespace) -> tuple[dict | None, dict | None]:
    """This database's overhead figures (floor, sync, sync at a quarter) and rate-limited run."""
    ensure_database(database, args)
    small = max(args.conversations // 4, 1)
    plan = [("prepare", 0)]
    if not args.skip_overhead:
        plan += [
            ("floor", args.conversations),
            ("sync", args.conversations),
            ("sync-unmeasured", args.conversations),
        ] * max(args.repeat, 1)
        plan.append(("sync-small", small))
    if not args.skip_rate_limited:
        plan.append(("rate-limited", args.rate_limited_conversations))
    if args.smoke:
        # Each process costs a Django start-up and more than a small run itself; the figures
        # that need a fresh process (peak RSS) are not what a smoke run checks.
        results = measure(plan, database, args)
    else:
        results = [result for item in plan for result in measure([item], database, args)]
    by_kind: dict[str, list[dict]] = {}
    for result in results:
        by_kind.setdefault(result["run"], []).append(result)
    overhead = None
    if not args.skip_overhead:
        overhead = {kind: fastest(by_kind[kind]) for kind in ("floor", "sync", "sync-unmeasured", "sync-small")}
    return overhead, (by_kind["rate-limited"][0] if not args.skip_rate_limited else None)


def main() -> int:
    args = parse_args()
    if args.worker:
        worker(args)
        return 0

    databases = ["sqlite", "postgres"] if args.database == "both" else [args.database]
    scratch = None
    if args.smoke:
        scratch = smoke_dir("sync")
        args.sqlite_path, args.static_root = str(scratch / "bench.sqlite3"), str(scratch / "static")
        args.postgres_db = smoke_postgres_name(POSTGRES_DB)
    if "postgres" in databases and (missing := postgres_missing()):
        print(f"bench/sync.py needs PostgreSQL for --database {args.database}: {missing}.", file=sys.stderr)
        return EXIT_MISSING
    overhead: dict[str, dict] = {}
    rate_limited: dict[str, dict] = {}
    print(f"Load average before: {load_average()} on {os.cpu_count()} CPUs", flush=True)
    try:
        for database in databases:
            database_overhead, database_rate_limited = run_database(database, args)
            if database_overhead:
                overhead[database] = database_overhead
            if database_rate_limited:
                rate_limited[database] = database_rate_limited
    finally:
        sqlite_remove(Path(args.sqlite_path))
        if scratch:
            shutil.rmtree(scratch, ignore_errors=True)
            if "postgres" in databases:
                postgres_database_drop(args.postgres_db)
    print(f"Load average after: {load_average()}")
    met = True
    if overhead:
        print_overhead_table(overhead, args.conversations)
        met &= overhead_verdicts(overhead)
    if rate_limited:
        met &= rate_limited_table(rate_limited, rate_limit_for(args.smoke))
    if not args.smoke:
        return 0 if met else 1
    problems = smoke_problems(overhead, rate_limited, rate_limit_for(args.smoke))
    print()
    for problem in problems:
        print(f"SMOKE FAILED: {problem}")
    if not problems:
        print(
            "Smoke run: the figures are sane. The targets are for full-size runs and are not checked; one "
            "process ran every measurement, so peak RSS is that process's."
        )
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
