"""How fast conversation search answers over a big helpdesk, and that its query count is fixed.

    .venv/bin/python bench/search.py                          # both databases, 200,000 conversations
    .venv/bin/python bench/search.py --database postgres --conversations 50000 --repeat 5
    .venv/bin/python bench/search.py --smoke                  # the same in seconds (scripts/test)

The data (bulk_create, nothing per row): 20 teams of 100 agents, one lead of every team and
N conversations spread over a year, each with a subject and a transcript's worth of words
drawn from support vocabulary (a few words common, most rare, as in real text), 0-3 tags, a
CSAT rating on half and a tenth set aside as too short; one conversation in five reviewed.

Measured with django.test.Client, signed in as the lead of every team, the lead of one team
and one agent (their own conversations), each search's first page after a warm-up, the median of --repeat runs:
words common and rare (one conversation in 2,000), a phrase, a left-out word, words with filters, a tag alone, no words.
Target (issue 14): the first page in under 200 ms on PostgreSQL with a fixed number of
queries. Checks, whatever the size: each person's searches send the same number of statements, each
result holds its words (or phrase, and not the left-out word) and its filters, results come
newest closed first, a full page has 25 rows. Exits 1 when a check fails or PostgreSQL misses
the target; --smoke builds 3,000 conversations and checks all but the target.
Exit 77: PostgreSQL was asked for and is not reachable.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from common import (
    BENCH_DIR,
    EXIT_MISSING,
    ROOT,
    database_url,
    django_setup,
    postgres_database_drop,
    postgres_database_ensure,
    postgres_missing,
    smoke_dir,
    smoke_postgres_name,
    sqlite_remove,
)

SQLITE_PATH = BENCH_DIR / "search.sqlite3"
POSTGRES_DB = "carousel_bench_search"
RESULT_PREFIX = "SEARCH-RESULT "
TARGET_MS = 200.0
TEAMS, AGENTS_PER_TEAM = 20, 100
END = datetime(2026, 11, 23, 0, 0, tzinfo=UTC)
CHUNK = 5000

# Support words, the first ones common; each transcript draws from them by a Zipf-like weight.
VOCABULARY = (  # noqa: SIM905 (a paragraph of words reads better than a list of them)
    "refund charge invoice account password plan card payment subscription order delivery login email "
    "billing receipt duplicate cancel upgrade downgrade declined error export import report tax vat "
    "address shipping discount coupon trial renewal reset verify identity bank transfer currency euro "
    "dollar pound statement balance credit debit overdue reminder schedule calendar integration api "
    "webhook token permission admin user team seat license contract quote estimate migration backup "
    "restore sync mobile android iphone browser chrome safari firefox printer scanner template logo "
    "signature approval workflow notification slack zapier spreadsheet csv pdf attachment upload "
    "download storage limit quota timeout outage incident maintenance latency slow crash freeze bug"
).split()
FILLER = "the a to and of I you we it is was for on my your this that with have can please thanks hi".split()  # noqa: SIM905
SUBJECTS = [
    "Charged twice this month",
    "Can I get my money back?",
    "Card declined at checkout",
    "Invoice missing VAT number",
    "Password reset link expired",
    "Export to CSV fails",
    "Upgrade to the Pro plan",
    "Printer template looks wrong",
]
TAGS = ["refund", "urgent", "vip", "double-charge", "bug", "feedback", "billing"]

# (label, who, query string); the words each must hold, a word it must not, its filters.
CASES = [
    ("a common word", "lead", {"q": "refund"}),
    ("two words", "lead", {"q": "duplicate charge"}),
    ("a less common word", "lead", {"q": "zapier"}),
    ("a rare word (1 in 2,000)", "lead", {"q": "chargeback"}),
    ("a phrase", "lead", {"q": '"card declined"'}),
    ("a word left out", "lead", {"q": "invoice -vat"}),
    ("words and filters", "lead", {"q": "refund", "csat": "low", "reviewed": "no", "excluded": "included"}),
    ("a tag alone", "lead", {"tag": "urgent"}),
    ("no words (newest)", "lead", {}),
    ("an agent's own", "agent", {"q": "refund"}),
    ("one team's, a common word", "one_lead", {"q": "refund"}),
    ("one team's, a rare word", "one_lead", {"q": "chargeback"}),
]


# --- inside a worker: Django set up for one database ---------------------------------------


def text(rng: random.Random, words: int) -> str:
    weights = [1 / (rank + 1) for rank in range(len(VOCABULARY))]
    chosen = rng.choices(VOCABULARY, weights=weights, k=words // 3) + rng.choices(FILLER, k=words - words // 3)
    rng.shuffle(chosen)
    return " ".join(chosen)


def build(conversations: int) -> float:
    from django.contrib.auth import get_user_model
    from django.contrib.auth.hashers import make_password

    from conversations.models import Agent, Conversation, Team
    from conversations.services import search_text

    started = time.perf_counter()
    rng = random.Random(14)
    users = get_user_model().objects
    password = make_password("bench")
    lead = users.create(username="lead@bench.example", email="lead@bench.example", password=password)
    teams = Team.objects.bulk_create(
        [Team(name=f"Team {index}", source="file", external_id=f"t{index}") for index in range(TEAMS)]
    )
    for team in teams:
        team.leads.add(lead)
    # A lead of one team of the twenty: a search whose scope is a twentieth of the table.
    teams[0].leads.add(users.create(username="lead0@bench.example", email="lead0@bench.example", password=password))
    people = users.bulk_create(
        [
            get_user_model()(
                username=f"agent{index}@bench.example", email=f"agent{index}@bench.example", password=password
            )
            for index in range(TEAMS * AGENTS_PER_TEAM)
        ]
    )
    agents = Agent.objects.bulk_create(
        [
            Agent(
                source="file",
                external_id=f"a{index}",
                name=f"Agent {index}",
                email=user.email,
                team=teams[index // AGENTS_PER_TEAM],
                user=user,
            )
            for index, user in enumerate(people)
        ]
    )
    span = timedelta(days=365).total_seconds()
    batch = []
    for number in range(conversations):
        agent = agents[rng.randrange(len(agents))]
        closed = END - timedelta(seconds=rng.random() * span)
        subject = rng.choice(SUBJECTS)
        tags = rng.sample(TAGS, rng.randint(0, 3))
        bodies = [text(rng, rng.randint(20, 60)) for _ in range(rng.randint(3, 8))]
        if rng.random() < 0.05:
            bodies.append("my card declined again at checkout")
        if rng.random() < 0.0005:
            bodies.append("the bank opened a chargeback on it")  # one in two thousand
        batch.append(
            Conversation(
                source="file",
                external_id=f"c{number}",
                subject=subject,
                team_id=agent.team_id,
                assignee=agent,
                state="closed",
                created_at=closed - timedelta(hours=2),
                updated_at=closed,
                closed_at=closed,
                tags=tags,
                csat_rating=rng.randint(1, 5) if rng.random() < 0.5 else None,
                exclusion_reason="short" if rng.random() < 0.1 else "",
                search_text=search_text(subject, tags, "", bodies),
            )
        )
        if len(batch) == CHUNK:
            Conversation.objects.bulk_create(batch)
            batch = []
    Conversation.objects.bulk_create(batch)
    reviewed(rng, teams, agents)
    return time.perf_counter() - started


def reviewed(rng: random.Random, teams: list, agents: list) -> None:
    """One conversation in five has a review (what the "reviewed" filter reads)."""
    from conversations.models import Conversation
    from reviews.models import Assignment, Review, ReviewWeek, Scorecard

    week = {
        team.pk: ReviewWeek.objects.create(
            team=team, label="2026-W47", starts_at=END - timedelta(days=7), ends_at=END, seed=1
        )
        for team in teams
    }
    scorecards = {team.pk: Scorecard.objects.create(team=team, version=1) for team in teams}
    by_team: dict[int, list] = {}
    for agent in agents:
        by_team.setdefault(agent.team_id, []).append(agent)
    rows = Conversation.objects.filter(exclusion_reason="").values_list("pk", "team_id", "assignee_id").order_by("pk")
    chosen = [row for row in rows.iterator() if rng.random() < 0.2]
    for start in range(0, len(chosen), CHUNK):
        part = chosen[start : start + CHUNK]
        assignments = Assignment.objects.bulk_create(
            [
                Assignment(
                    week=week[team_id],
                    conversation_id=pk,
                    reviewer=next(agent for agent in rng.sample(by_team[team_id], 2) if agent.pk != assignee_id),
                    reviewee_id=assignee_id,
                    status=Assignment.Status.COMPLETED,
                    completed_at=END,
                )
                for pk, team_id, assignee_id in part
            ]
        )
        Review.objects.bulk_create(
            [
                Review(
                    assignment=assignment,
                    conversation_id=assignment.conversation_id,
                    reviewer_id=assignment.reviewer_id,
                    reviewee_id=assignment.reviewee_id,
                    scorecard=scorecards[assignment.week.team_id],
                    score=50,
                )
                for assignment in assignments
            ]
        )


def measure(repeat: int) -> dict:
    from django.contrib.auth import get_user_model
    from django.db import connection, reset_queries
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse

    from conversations.models import Agent, Conversation
    from reviews.models import Review
    from reviews.search import terms

    clients = {}
    for who, email in (
        ("lead", "lead@bench.example"),
        ("agent", "agent7@bench.example"),
        ("one_lead", "lead0@bench.example"),
    ):
        client = Client(SERVER_NAME="127.0.0.1")
        client.force_login(get_user_model().objects.get(email=email))
        clients[who] = client
    agent = Agent.objects.get(email="agent7@bench.example")
    results, problems = [], []
    for label, who, params in CASES:
        url = reverse("reviews:search") + (
            "?" + "&".join(f"{key}={value}" for key, value in params.items()) if params else ""
        )
        client = clients[who]
        reset_queries()
        with CaptureQueriesContext(connection) as captured:
            response = client.get(url)
            html = response.content.decode()
        # Read now: the next request clears the log.
        statements = len(captured.captured_queries)
        if response.status_code != 200:
            problems.append(f"{label}: HTTP {response.status_code}")
            continue
        # What a browser gets: the page's links to conversations, in order, and "Older".
        ids = [int(pk) for pk in re.findall(r'href="/conversations/(\d+)/"', html)]
        has_next = "Older →" in html
        rows = sorted(Conversation.objects.filter(pk__in=ids), key=lambda row: ids.index(row.pk))
        times = []
        for _ in range(repeat):
            started = time.perf_counter()
            client.get(url)
            times.append((time.perf_counter() - started) * 1000)
        stored = {row.pk: row for row in rows}
        wanted, unwanted = terms(params.get("q", ""))
        for row in rows:
            body = stored[row.pk].search_text.lower()
            # PostgreSQL matches other forms of a word too ("charges"): checked on SQLite only.
            if connection.vendor == "sqlite" and not all(word.lower() in body for word in wanted):
                problems.append(f"{label}: conversation {row.pk} lacks {wanted}")
            if any(word.lower() in body.split() for word in unwanted):
                problems.append(f"{label}: conversation {row.pk} holds a left-out word {unwanted}")
            if params.get("tag") and params["tag"] not in stored[row.pk].tags:
                problems.append(f"{label}: conversation {row.pk} lacks the tag")
            if params.get("csat") == "low" and (row.csat_rating is None or row.csat_rating > 2):
                problems.append(f"{label}: conversation {row.pk} is not low CSAT")
            if params.get("excluded") == "included" and row.exclusion_reason:
                problems.append(f"{label}: conversation {row.pk} was set aside")
            if who == "agent" and row.assignee_id != agent.pk and not row.assignments.filter(reviewer=agent).exists():
                problems.append(f"{label}: conversation {row.pk} is not the agent's")
        if params.get("reviewed") == "no" and Review.objects.filter(conversation_id__in=ids).exists():
            problems.append(f"{label}: a reviewed conversation came back")
        closed = [row.closed_at for row in rows]
        if closed != sorted(closed, reverse=True):
            problems.append(f"{label}: not newest first")
        if len(rows) < 25 and has_next:
            problems.append(f"{label}: a short page says there is another")
        results.append(
            {
                "case": label,
                "who": who,
                "rows": len(rows),
                "has_next": has_next,
                "median_ms": statistics.median(times),
                "runs_ms": [round(value, 1) for value in times],
                "queries": statements,
            }
        )
    for who in clients:
        counts = {row["queries"] for row in results if row["who"] == who}
        if len(counts) > 1:
            problems.append(f"the {who}'s searches sent different numbers of statements: {sorted(counts)}")
    return {"cases": results, "problems": problems}


def worker(args: argparse.Namespace) -> None:
    url = database_url(args.worker, sqlite_path=Path(args.sqlite_path), postgres_db=args.postgres_db)
    django_setup(url)
    from django.core.management import call_command
    from django.db import connection

    from conversations.models import Conversation

    call_command("migrate", verbosity=0)
    built = None
    if not Conversation.objects.exists():
        built = build(args.conversations)
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")
    figures = measure(args.repeat)
    figures.update(database=args.worker, conversations=Conversation.objects.count(), build_s=built)
    print(RESULT_PREFIX + json.dumps(figures, default=str))


# --- the parent: one subprocess per database ------------------------------------------------


def run_database(database: str, args: argparse.Namespace) -> dict:
    if args.smoke:
        folder = smoke_dir("search")
        sqlite_path, postgres_db = folder / "search.sqlite3", smoke_postgres_name("carousel_bench_search")
    else:
        BENCH_DIR.mkdir(parents=True, exist_ok=True)
        sqlite_path, postgres_db = SQLITE_PATH, POSTGRES_DB
    if database == "sqlite" and not args.reuse:
        sqlite_remove(sqlite_path)
    if database == "postgres":
        postgres_database_ensure(postgres_db, recreate=not args.reuse)
    command = [
        sys.executable,
        str(Path(__file__).resolve()),
        "--worker", database,
        "--sqlite-path", str(sqlite_path),
        "--postgres-db", postgres_db,
        "--conversations", str(args.conversations),
        "--repeat", str(args.repeat),
    ]  # fmt: skip
    try:
        done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False)
    finally:
        if args.smoke or not args.reuse:
            if database == "postgres":
                postgres_database_drop(postgres_db)
            elif not args.reuse:
                sqlite_remove(sqlite_path)
    line = next((line for line in done.stdout.splitlines() if line.startswith(RESULT_PREFIX)), None)
    if done.returncode != 0 or line is None:
        sys.stderr.write(done.stdout + done.stderr)
        raise SystemExit(f"the {database} run failed")
    return json.loads(line.removeprefix(RESULT_PREFIX))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", choices=["sqlite", "postgres", "both"], default=None)
    parser.add_argument("--conversations", type=int, default=200_000)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--smoke", action="store_true")
    parser.add_argument("--reuse", action="store_true", help="keep the database for the next run")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--sqlite-path", help=argparse.SUPPRESS)
    parser.add_argument("--postgres-db", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(args)
        return 0
    if args.smoke:
        args.conversations, args.repeat = 3000, 2
    databases = {"sqlite": ["sqlite"], "postgres": ["postgres"], "both": ["sqlite", "postgres"]}[
        args.database or ("sqlite" if args.smoke else "both")
    ]
    if "postgres" in databases and (why := postgres_missing()):
        print(why, file=sys.stderr)
        return EXIT_MISSING
    failed = False
    for database in databases:
        figures = run_database(database, args)
        print(f"\n{database}: {figures['conversations']:,} conversations (built in {figures['build_s'] or 0:.1f} s)")
        print(f"  {'search':<26} {'who':<8} {'rows':>4} {'more':>5} {'median ms':>10} {'queries':>8}")
        for row in figures["cases"]:
            print(
                f"  {row['case']:<26} {row['who']:<8} {row['rows']:>4} {'yes' if row['has_next'] else 'no':>5} "
                f"{row['median_ms']:>10.1f} {row['queries']:>8}"
            )
        for problem in figures["problems"]:
            print(f"  !! {problem}")
            failed = True
        slowest = max(row["median_ms"] for row in figures["cases"])
        verdict = "under" if slowest < TARGET_MS else "OVER"
        print(f"  slowest first page: {slowest:.1f} ms, {verdict} the {TARGET_MS:.0f} ms target")
        if database == "postgres" and not args.smoke and slowest >= TARGET_MS:
            failed = True
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
