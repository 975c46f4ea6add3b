"""How fast the Intercom sync is, against a local Intercom over real HTTP.

    .venv/bin/python bench/sync.py --repeat 3           # everything, both databases (~15 minutes)
    .venv/bin/python bench/sync.py --conversations 2000 --database sqlite --skip-rate-limited
    .venv/bin/python bench/sync.py --skip-overhead --rate-limited-conversations 1000

Two targets are measured:

1. Overhead (no latency, no rate limit). A full ``conversations_sync`` of N conversations
   (about 10 parts each) is timed against its *floor*: the same search pages and
   conversation details fetched over HTTP with the same concurrency, and the same rows
   bulk-inserted (Conversation + Message) with no per-row work at all. Target: the sync
   takes at most 1.3x the floor. The sync is also run at N/4 to show its peak memory
   does not grow with the number of conversations.
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
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import resource
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

from common import BENCH_DIR, ROOT, database_url, postgres_database_ensure, sqlite_remove
from common import django_setup as _django_setup

SQLITE_PATH = BENCH_DIR / "bench.sqlite3"
POSTGRES_DB = "carousel_bench"
RESULT_PREFIX = "BENCH-RESULT "

OVERHEAD_TARGET = 1.3
RATE_LIMITED_TARGET = 1.1
RATE_LIMITED_CONVERSATIONS = 5000
RATE_LIMITED_LATENCY = 0.05
RATE_LIMIT = (500, 10.0)
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
    every tenth is built part by part: a Fin answer, an empty assignment part, a note,
    then seven replies; one in fifty of those is tagged Spam (excluded).
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
            # Built from parts: a note, a Fin answer, an empty assignment part, then the
            # agent and customer talk. Every 50th is tagged as spam.
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
                    2,
                    author_type="admin",
                    author_id=admin_id,
                    body=None,
                    created_at=updated_at - 880,
                    part_type="assignment",
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
                at = updated_at - 800 + turn * 90
                if turn % 2:
                    parts.append(
                        fake.part(
                            4 + turn,
                            author_type="user",
                            author_id=f"contact-{conversation_id}",
                            created_at=at,
                            body=CUSTOMER_REPLY,
                        )
                    )
                else:
                    parts.append(
                        fake.part(
                            4 + turn,
                            author_type="admin",
                            author_id=admin_id,
                            created_at=at,
                            body=AGENT_REPLY_WITH_LIST,
                        )
                    )
            if index % 50 == 49:
                extra["tags"] = ("Spam",)
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
def django_setup(database: str) -> None:
    _django_setup(database_url(database, sqlite_path=SQLITE_PATH, postgres_db=POSTGRES_DB))
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
    import requests
    from django.db import transaction
    from requests.adapters import HTTPAdapter

    from conversations.models import Conversation, Message
    from conversations.tests.fake_intercom import TOKEN

    session = requests.Session()
    session.headers.update(
        {"Accept": "application/json", "Authorization": f"Bearer {TOKEN}", "Intercom-Version": "2.16"}
    )
    session.mount("http://", HTTPAdapter(pool_connections=1, pool_maxsize=concurrency))

    def at(value):
        return datetime.fromtimestamp(value, tz=UTC)

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
            payloads = list(pool.map(detail, [str(item["id"]) for item in page["conversations"]]))
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
                    for part in payload["conversation_parts"]["conversation_parts"]:
                        if part["body"]:
                            messages.append(
                                Message(
                                    conversation_id=row.pk,
                                    external_id=str(part["id"]),
                                    author_kind="agent",
                                    created_at=at(part["created_at"]),
                                    body_html=part["body"],
                                    body_text=part["body"],
                                )
                            )
                Message.objects.bulk_create(messages, batch_size=2000)
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


def worker(args: argparse.Namespace) -> None:
    if args.worker == "prepare":
        django_setup(args.database)
        from django.core.management import call_command

        call_command("migrate", verbosity=0)
        print(RESULT_PREFIX + json.dumps({}), flush=True)
        return

    rate_limited = args.worker == "rate-limited"
    server = ServerProcess(
        args.conversations,
        latency=RATE_LIMITED_LATENCY if rate_limited else 0.0,
        rate_limit=RATE_LIMIT if rate_limited else None,
    )
    try:
        django_setup(args.database)
        from django.conf import settings
        from django.db import connection

        flush()
        connection.close()
        concurrency = args.concurrency or settings.HELPDESK_CONCURRENCY
        rss_before, cpu_before = rss_mb(), cpu_seconds()
        run = run_floor if args.worker == "floor" else run_sync
        result = run(server, args.conversations, concurrency)
        result.update(
            database=args.database,
            run=args.worker,
            concurrency=concurrency,
            cpu_seconds=cpu_seconds() - cpu_before,
            rss_before_mb=rss_before,
            peak_rss_mb=peak_rss_mb(),
        )
        flush()
    finally:
        server.stop()
    print(RESULT_PREFIX + json.dumps(result), flush=True)


# --- the parent: one subprocess per measurement, then a table --------------------------------
def ensure_database(database: str) -> None:
    if database == "sqlite":
        BENCH_DIR.mkdir(parents=True, exist_ok=True)
        sqlite_remove(SQLITE_PATH)
        return
    postgres_database_ensure(POSTGRES_DB)


def measure(kind: str, database: str, conversations: int, concurrency: int | None) -> dict:
    print(f"... {database}: {kind}, {conversations:,} conversations", flush=True)
    command = [sys.executable, __file__, "--worker", kind, "--database", database]
    command += ["--conversations", str(conversations)]
    if concurrency:
        command += ["--concurrency", str(concurrency)]
    finished = subprocess.run(command, cwd=ROOT, stdout=subprocess.PIPE, text=True, check=False)
    lines = [line for line in finished.stdout.splitlines() if line.startswith(RESULT_PREFIX)]
    if finished.returncode or not lines:
        print(finished.stdout, file=sys.stderr)
        raise SystemExit(f"The {kind} run on {database} failed (exit {finished.returncode}).")
    result = json.loads(lines[-1].removeprefix(RESULT_PREFIX))
    if "seconds" in result:
        print(f"    {result['seconds']:.2f} s, {result['cpu_seconds']:.2f} CPU s", flush=True)
    return result


def fastest(runs: list[dict]) -> dict:
    best = dict(min(runs, key=lambda run: run["seconds"]))
    best["samples"] = [run["seconds"] for run in runs]
    best["peak_rss_mb"] = max(run["peak_rss_mb"] for run in runs)
    return best


def load_average() -> str:
    return " ".join(f"{value:.2f}" for value in os.getloadavg())


def print_tables(overhead: dict[str, dict], rate_limited: dict[str, dict], conversations: int) -> None:
    if overhead:
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
            for label, key in (("floor", "floor"), ("full sync", "sync"), ("full sync (1/4)", "sync-small")):
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
        for database, runs in overhead.items():
            ratio = runs["sync"]["seconds"] / runs["floor"]["seconds"]
            verdict = "meets" if ratio <= OVERHEAD_TARGET else "MISSES"
            cpu_ratio = runs["sync"]["cpu_seconds"] / runs["floor"]["cpu_seconds"]
            line = (
                f"{database}: full sync {ratio:.2f}x its floor, {verdict} the {OVERHEAD_TARGET}x target "
                f"(its own CPU seconds: {cpu_ratio:.2f}x the floor's)"
            )
            if "sync-small" in runs:
                big, little = runs["sync"], runs["sync-small"]
                line += (
                    f"; peak RSS {little['peak_rss_mb']:.0f} MB at {little['conversations']:,} and "
                    f"{big['peak_rss_mb']:.0f} MB at {big['conversations']:,} conversations"
                )
            print(line)
    if rate_limited:
        limit, window = RATE_LIMIT
        per_second = limit / window
        print()
        print(
            f"Rate-limited: {RATE_LIMITED_LATENCY * 1000:.0f} ms per request, {limit} requests per {window:g} s "
            f"window; floor = requests / {per_second:g} per second"
        )
        header = (
            f"{'database':<9} {'conversations':>13} {'concurrency':>11} {'requests':>8} {'429s':>5} "
            f"{'elapsed s':>9} {'floor s':>8} {'ratio':>6}  verdict"
        )
        print(header)
        print("-" * len(header))
        for database, run in rate_limited.items():
            floor = run["requests"] / per_second
            ratio = run["seconds"] / floor
            verdict = "meets" if ratio <= RATE_LIMITED_TARGET else "MISSES"
            print(
                f"{database:<9} {run['conversations']:>13,} {run['concurrency']:>11} {run['requests']:>8,} "
                f"{run['too_many_requests']:>5} {run['seconds']:>9.1f} {floor:>8.1f} {ratio:>6.2f}  "
                f"{verdict} the {RATE_LIMITED_TARGET}x target"
            )


def main() -> None:
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
    parser.add_argument("--worker", choices=["prepare", "floor", "sync", "rate-limited"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        return worker(args)

    databases = ["sqlite", "postgres"] if args.database == "both" else [args.database]
    small = max(args.conversations // 4, 1)
    overhead: dict[str, dict] = {}
    rate_limited: dict[str, dict] = {}
    print(f"Load average before: {load_average()} on {os.cpu_count()} CPUs", flush=True)
    for database in databases:
        ensure_database(database)
        measure("prepare", database, 0, None)
        if not args.skip_overhead:
            floors, syncs = [], []
            for _ in range(max(args.repeat, 1)):
                floors.append(measure("floor", database, args.conversations, args.concurrency))
                syncs.append(measure("sync", database, args.conversations, args.concurrency))
            overhead[database] = {
                "floor": fastest(floors),
                "sync": fastest(syncs),
                "sync-small": fastest([measure("sync", database, small, args.concurrency)]),
            }
        if not args.skip_rate_limited:
            rate_limited[database] = measure(
                "rate-limited", database, args.rate_limited_conversations, args.concurrency
            )
    sqlite_remove(SQLITE_PATH)
    print(f"Load average after: {load_average()}")
    print_tables(overhead, rate_limited, args.conversations)


if __name__ == "__main__":
    main()
