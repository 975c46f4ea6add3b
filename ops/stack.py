"""Shared machinery for the ops scripts: services, app processes, the fake helpdesk, signed-in agents.

Nothing here changes the app: the scripts start it exactly as the Procfile does (gunicorn,
a Celery worker, beat) against PostgreSQL and Redis, and drive it over HTTP on loopback.

    .venv/bin/python ops/stack.py --smoke    # checks these pieces on their own, in seconds
"""

from __future__ import annotations

import contextlib
import math
import multiprocessing
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
import requests

ROOT = Path(__file__).resolve().parent.parent
BIN = ROOT / ".venv" / "bin"
PYTHON = str(BIN / "python")
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

# The seeded team: helpdesk ids the fake Intercom uses too, so the sync updates the same rows.
TEAM_EXTERNAL_ID = "700"
FIRST_ADMIN_ID = 101
FIRST_CONVERSATION_ID = 100_000
PASSWORD = "ops-carousel-load-2026"  # every seeded agent's password
REDIS_DB = 13
# A prerequisite is missing (a program, a server): bench/smoke reports a skip, a failure under CI=true.
EXIT_MISSING = 77


class Missing(RuntimeError):
    """What this machine lacks for the script to run at all (not a check that failed)."""


def require_tools(*names: str) -> None:
    missing = [name for name in names if not _tool(name)]
    if missing:
        raise Missing(f"not installed: {', '.join(missing)} (on Debian: apt-get install postgresql redis-server)")


def _tool(name: str) -> str | None:
    # Debian keeps initdb and pg_ctl out of PATH, in the version's own folder.
    found = sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{name}"))
    return str(found[-1]) if found else shutil.which(name)


def agent_email(number: int) -> str:
    return f"agent{number:02d}@ops.example"


def log(message: str = "") -> None:
    print(message, flush=True)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for(check: Callable[[], bool], *, timeout: float, interval: float = 0.2, what: str = "") -> float:
    """Poll until check() is true; returns the seconds it took, or raises after timeout."""
    started = time.monotonic()
    while True:
        try:
            if check():
                return time.monotonic() - started
        except Exception:  # a check that errors is a check that is not true yet
            pass
        if time.monotonic() - started > timeout:
            raise TimeoutError(f"gave up after {timeout:g}s waiting for {what or check}")
        time.sleep(interval)


def raise_on_sigterm() -> None:
    """A SIGTERM runs the finally blocks (and so the clean-up), like Ctrl-C does."""

    def handler(signum, frame):
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, handler)


# --- processes ------------------------------------------------------------------------------
class Processes:
    """Every process a script starts, each in a session of its own, all stopped at the end."""

    def __init__(self, log_dir: Path):
        self.log_dir = log_dir
        self.log_dir.mkdir(parents=True, exist_ok=True)
        self.running: dict[str, subprocess.Popen] = {}

    def start(self, name: str, argv: list[str], *, env: dict[str, str], cwd: Path = ROOT) -> subprocess.Popen:
        with open(self.log_dir / f"{name}.log", "ab") as output:
            process = subprocess.Popen(
                argv,
                cwd=cwd,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=output,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self.running[name] = process
        return process

    def alive(self, name: str) -> bool:
        process = self.running.get(name)
        return process is not None and process.poll() is None

    def log_text(self, name: str) -> str:
        path = self.log_dir / f"{name}.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def _signal_group(self, process: subprocess.Popen, signum: int) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signum)

    def kill(self, name: str) -> None:
        """SIGKILL the process and everything it started (a worker's pool children too)."""
        process = self.running.pop(name)
        self._signal_group(process, signal.SIGKILL)
        process.wait(10)

    def stop(self, name: str, timeout: float = 15.0) -> None:
        process = self.running.pop(name, None)
        if process is None:
            return
        if process.poll() is None:
            self._signal_group(process, signal.SIGTERM)
            try:
                process.wait(timeout)
            except subprocess.TimeoutExpired:
                self._signal_group(process, signal.SIGKILL)
                process.wait(10)
        # Whatever the leader left behind in its session goes too.
        self._signal_group(process, signal.SIGKILL)

    def stop_all(self) -> None:
        for name in reversed(list(self.running)):
            self.stop(name)


def run_folder(script: str, *, smoke: bool) -> Path:
    """Where a run's logs go: var/ops/ for a full run; a temporary folder for a smoke run, which
    leaves nothing in the repository."""
    if smoke:
        return Path(tempfile.mkdtemp(prefix=f"carousel-smoke-{script}-"))
    return ROOT / "var" / "ops" / f"{script}-{datetime.now(UTC):%Y%m%d-%H%M%S}"


def run_folder_close(folder: Path, *, smoke: bool, passed: bool) -> None:
    """A smoke run that passed (or never got to write a log) removes its folder; any other run keeps
    its logs to read."""
    if smoke and (passed or not any(folder.iterdir())):
        shutil.rmtree(folder, ignore_errors=True)
    elif smoke:
        log(f"Logs kept in {shown(folder)}")


def shown(path: Path) -> str:
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)


# --- PostgreSQL and Redis ----------------------------------------------------------------------
def _pg_bin(name: str) -> str:
    found = _tool(name)
    if not found:
        raise Missing(f"PostgreSQL's {name} is not installed")
    return found


def _as_postgres(argv: list[str]) -> list[str]:
    # PostgreSQL refuses to run as root.
    return ["runuser", "-u", "postgres", "--", *argv] if os.geteuid() == 0 else argv


def _pg_ready(port: int) -> bool:
    return subprocess.run(["pg_isready", "-q", "-h", "127.0.0.1", "-p", str(port)]).returncode == 0


class SharedPostgres:
    """The machine's cluster on 5432; started (and later stopped) only if it was down."""

    port = 5432
    server_url = "postgres://postgres@127.0.0.1:5432"

    def __init__(self):
        self.started = False

    def ensure(self) -> None:
        if _pg_ready(self.port):
            return
        if not (Path("/etc/postgresql").is_dir() and shutil.which("pg_ctlcluster")):
            raise Missing(f"PostgreSQL is not running on 127.0.0.1:{self.port}, and there is no cluster to start")
        version = sorted(os.listdir("/etc/postgresql"))[0]
        subprocess.run(["pg_ctlcluster", "--skip-systemctl-redirect", version, "main", "start"], check=True)
        self.started = True
        wait_for(lambda: _pg_ready(self.port), timeout=30, what="PostgreSQL")

    def cleanup(self) -> None:
        if self.started:
            version = sorted(os.listdir("/etc/postgresql"))[0]
            subprocess.run(["pg_ctlcluster", "--skip-systemctl-redirect", version, "main", "stop"], check=False)


class PrivatePostgres:
    """A throwaway cluster on a free loopback port, so restarting it disturbs nobody else."""

    def __init__(self):
        self.dir = Path(tempfile.mkdtemp(prefix="carousel-ops-pg-"))
        self.data = self.dir / "data"
        self.port = free_port()
        self.server_url = f"postgres://postgres@127.0.0.1:{self.port}"
        self.running = False
        if os.geteuid() == 0:
            shutil.chown(self.dir, "postgres", "postgres")

    def _ctl(self, *args: str) -> None:
        subprocess.run(_as_postgres([_pg_bin("pg_ctl"), "-D", str(self.data), *args]), check=True, capture_output=True)

    def init(self) -> None:
        subprocess.run(
            _as_postgres([_pg_bin("initdb"), "-D", str(self.data), "-U", "postgres", "-A", "trust", "--no-sync"]),
            check=True,
            capture_output=True,
        )
        self.start()

    def start(self) -> None:
        options = f"-p {self.port} -c listen_addresses=127.0.0.1 -c unix_socket_directories={self.dir}"
        self._ctl("-l", str(self.dir / "postgres.log"), "-o", options, "-w", "-t", "30", "start")
        self.running = True

    def stop(self, mode: str = "fast") -> None:
        self._ctl("-m", mode, "-w", "-t", "30", "stop")
        self.running = False

    def ready(self) -> bool:
        return _pg_ready(self.port)

    def cleanup(self) -> None:
        if self.running:
            with contextlib.suppress(subprocess.CalledProcessError):
                self.stop("immediate")
        shutil.rmtree(self.dir, ignore_errors=True)


def database_recreate(server_url: str, name: str) -> None:
    with psycopg.connect(f"{server_url}/postgres", autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{name}"')


def database_drop(server_url: str, name: str) -> None:
    with psycopg.connect(f"{server_url}/postgres", autocommit=True, connect_timeout=5) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _redis_cli(port: int, *args: str) -> str:
    done = subprocess.run(["redis-cli", "-h", "127.0.0.1", "-p", str(port), *args], capture_output=True, text=True)
    return done.stdout.strip()


class SharedRedis:
    """The machine's Redis on 6379; this script only ever touches its db 13."""

    port = 6379

    def __init__(self):
        self.started = False
        self.url = f"redis://127.0.0.1:{self.port}/{REDIS_DB}"

    def ensure(self) -> None:
        if _redis_cli(self.port, "ping") == "PONG":
            return
        subprocess.run(
            ["redis-server", "--daemonize", "yes", "--bind", "127.0.0.1", "--port", str(self.port)]
            + ["--save", "", "--appendonly", "no"],
            check=True,
            capture_output=True,
        )
        self.started = True
        wait_for(lambda: _redis_cli(self.port, "ping") == "PONG", timeout=10, what="Redis")

    def flush(self) -> None:
        _redis_cli(self.port, "-n", str(REDIS_DB), "flushdb")

    def cleanup(self) -> None:
        self.flush()
        if self.started:
            _redis_cli(self.port, "shutdown", "nosave")


class PrivateRedis:
    """A Redis of this script's own (a child process on a free loopback port) that it may stop."""

    def __init__(self, processes: Processes):
        self.processes = processes
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/{REDIS_DB}"
        self.dir = Path(tempfile.mkdtemp(prefix="carousel-ops-redis-"))

    def start(self) -> None:
        self.processes.start(
            "redis",
            ["redis-server", "--bind", "127.0.0.1", "--port", str(self.port), "--save", "", "--appendonly", "no"]
            + ["--dir", str(self.dir)],
            env=dict(os.environ),
        )
        wait_for(self.ready, timeout=10, what="Redis")

    def ready(self) -> bool:
        return _redis_cli(self.port, "ping") == "PONG"

    def stop(self) -> None:
        _redis_cli(self.port, "shutdown", "nosave")
        self.processes.stop("redis", timeout=5)

    def cleanup(self) -> None:
        self.processes.stop("redis", timeout=5)
        shutil.rmtree(self.dir, ignore_errors=True)


# --- the app's environment ------------------------------------------------------------------------
def app_env(*, database_url: str, redis_url: str, helpdesk_url: str, static_root: Path, **extra: str) -> dict[str, str]:
    """Production settings (DEBUG off, a random SECRET_KEY), served over plain HTTP on loopback."""
    env = {key: value for key, value in os.environ.items() if not key.startswith(("DJANGO_", "CELERY_"))}
    env.update(
        DEBUG="false",
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS="127.0.0.1",
        SECURE_SSL_REDIRECT="false",
        DATABASE_URL=database_url,
        REDIS_URL=redis_url,
        CELERY_BROKER_URL=redis_url,
        CELERY_TASK_ALWAYS_EAGER="false",
        HELPDESK="intercom",
        INTERCOM_API_BASE=helpdesk_url,
        INTERCOM_ACCESS_TOKEN=_fake_token(),
        STATIC_ROOT=str(static_root),
        LOG_FORMAT="plain",
        LOG_LEVEL="INFO",
        PYTHONUNBUFFERED="1",
    )
    env.update(extra)
    return env


def _fake_token() -> str:
    from conversations.tests.fake_intercom import TOKEN

    return TOKEN


def start_web(processes: Processes, env: dict[str, str], port: int, *extra_args: str, workers: int = 2) -> str:
    """gunicorn as the Procfile runs it; extra_args (command-line flags) override gunicorn.conf.py."""
    processes.start(
        "gunicorn",
        [str(BIN / "gunicorn"), "carousel.wsgi", "--config", "gunicorn.conf.py", *extra_args],
        env={**env, "GUNICORN_BIND": f"127.0.0.1:{port}", "WEB_CONCURRENCY": str(workers)},
    )
    base_url = f"http://127.0.0.1:{port}"
    wait_for(
        lambda: requests.get(f"{base_url}/accounts/login/", timeout=2).status_code == 200,
        timeout=40,
        what="gunicorn",
    )
    return base_url


def start_worker(processes: Processes, env: dict[str, str], name: str = "worker", concurrency: int = 2) -> None:
    processes.start(
        name,
        [str(BIN / "celery"), "-A", "carousel", "worker", "--loglevel", "INFO", "--concurrency", str(concurrency)]
        + ["--hostname", f"{name}-{secrets.token_hex(3)}@ops"],
        env=env,
    )


def start_beat(processes: Processes, env: dict[str, str], schedule: Path) -> None:
    processes.start(
        "beat",
        [str(BIN / "celery"), "-A", "carousel", "beat", "--loglevel", "INFO", "--schedule", str(schedule)],
        env=env,
    )


def django_setup(env: dict[str, str]) -> None:
    """This process talks to the same database as the app (to seed and to check), quietly."""
    for key in ("DEBUG", "SECRET_KEY", "DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL", "HELPDESK", "STATIC_ROOT"):
        os.environ[key] = env[key]
    for key in ("INTERCOM_API_BASE", "INTERCOM_ACCESS_TOKEN", "SYNC_LOCK_SECONDS"):
        if key in env:
            os.environ[key] = env[key]
    os.environ.update(DJANGO_SETTINGS_MODULE="carousel.settings", LOG_LEVEL="WARNING", LOG_FORMAT="plain")
    import django

    django.setup()


def release() -> None:
    """migrate and collectstatic, as a deploy runs them, but in this process (after django_setup):
    two more Django start-ups would cost seconds on a busy machine."""
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)
    call_command("collectstatic", interactive=False, verbosity=0)


def send_sync_task() -> None:
    from carousel.celery import app

    app.send_task("conversations.tasks.sync_conversations")


# --- helpdesk data ------------------------------------------------------------------------------
@dataclass(frozen=True)
class Planned:
    """One conversation in the fake helpdesk: its index, last update and whether it is reviewable."""

    index: int
    updated_at: int
    reviewable: bool = True

    @property
    def external_id(self) -> str:
        return str(FIRST_CONVERSATION_ID + self.index)


def admin_id_for(index: int, agents: int) -> str:
    return str(FIRST_ADMIN_ID + index % agents)


def helpdesk_payload(planned: Planned, agents: int) -> dict:
    """The conversation as Intercom's GET /conversations/{id} answers it."""
    from conversations.tests import fake_intercom as fake

    extra: dict = {"team_id": TEAM_EXTERNAL_ID, "tags": ("billing",)}
    if planned.index % 3 == 0:
        extra["rating"] = planned.index % 5 + 1
    replies = 3
    if not planned.reviewable:
        if (planned.index // 10) % 2:
            extra["tags"] = ("Spam",)
        else:
            replies = 1  # one agent reply: too short to review
    return fake.reviewable_conversation(
        planned.external_id,
        updated_at=planned.updated_at,
        admin_id=admin_id_for(planned.index, agents),
        replies=replies,
        **extra,
    )


def helpdesk_people(agents: int) -> tuple[list[dict], list[dict]]:
    from conversations.tests import fake_intercom as fake

    admin_ids = [str(FIRST_ADMIN_ID + number) for number in range(agents)]
    admins = [
        fake.admin(admin_id, f"Agent {number:02d}", agent_email(number), team_ids=[int(TEAM_EXTERNAL_ID)])
        for number, admin_id in enumerate(admin_ids)
    ]
    return admins, [fake.team(TEAM_EXTERNAL_ID, "Ops team", admin_ids=admin_ids)]


def _helpdesk_serve(connection, agents: int, planned: list[Planned], latency: float) -> None:
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    from conversations.tests.fake_intercom import FakeIntercom

    admins, teams = helpdesk_people(agents)
    server = FakeIntercom(
        conversations=[helpdesk_payload(item, agents) for item in planned],
        admins=admins,
        teams=teams,
        latency=latency,
    ).start()
    connection.send(server.url)
    while True:
        command, options = connection.recv()
        if command == "stop":
            server.stop()
            connection.send(None)
            return
        if command == "stats":
            connection.send(_helpdesk_stats(server, **options))
        elif command == "add":
            for item in options["planned"]:
                server.put(helpdesk_payload(item, agents))
            connection.send(len(server.conversations))
        elif command == "fail":
            server.fail(**options)
            connection.send(None)
        elif command == "clear_faults":
            server.faults.clear()
            connection.send(None)
        elif command == "set":
            for name, value in options.items():
                setattr(server, name, value)
            connection.send(None)


def _helpdesk_stats(server, *, since: int = 0, bodies_since: int = 0) -> dict:
    """Requests so far, and the search pages and conversation fetches (with search bodies) since a mark."""
    logged = server.log[since:]
    return {
        "requests": len(server.log),
        "searches": sum(1 for method, path in logged if path == "/conversations/search"),
        "details": sum(1 for method, path in logged if method == "GET" and path.startswith("/conversations/")),
        "search_bodies": server.search_bodies[bodies_since:],
        "search_count": len(server.search_bodies),
    }


class HelpdeskProcess:
    """The fake Intercom (conversations/tests/fake_intercom.py) in a process of its own, like the real
    one it does not share the app's CPU time; faults and figures go through a pipe."""

    def __init__(self, *, agents: int, planned: list[Planned], latency: float):
        context = multiprocessing.get_context("spawn")
        self._connection, child = context.Pipe()
        self._process = context.Process(
            target=_helpdesk_serve, args=(child, agents, planned, latency), daemon=True, name="fake-intercom"
        )
        self._process.start()
        # Only the child holds its end now: if it dies, recv() raises EOFError instead of waiting forever.
        child.close()
        self.url = self._connection.recv()
        self._lock = threading.Lock()

    def call(self, command: str, **options):
        with self._lock:
            self._connection.send((command, options))
            return self._connection.recv()

    def stats(self, since: int = 0, bodies_since: int = 0) -> dict:
        return self.call("stats", since=since, bodies_since=bodies_since)

    def stop(self) -> None:
        if self._process.is_alive():
            with contextlib.suppress(EOFError, OSError):
                self.call("stop")
            self._process.join(5)
            if self._process.is_alive():
                self._process.kill()


# --- seeding (in this process, through the ORM) ------------------------------------------------
def seed_team(
    *, agents: int, conversations: list[Planned], assign: bool = True, reviews_per_week: int | None = None
) -> dict:
    """A team of agents with sign-ins, their reviewable conversations and this week's batches
    (of the team's default size unless reviews_per_week says otherwise)."""
    from django.db import transaction

    from conversations.models import Conversation, Message
    from reviews.models import TeamSettings
    from reviews.services import week_assign

    with transaction.atomic():
        team, team_agents = seed_people(agents)
        if reviews_per_week:
            TeamSettings.objects.create(team=team, reviews_per_week=reviews_per_week)
        rows = Conversation.objects.bulk_create(seeded_conversation(item, team, team_agents) for item in conversations)
        messages = [message for row in rows for message in seeded_messages(row, team_agents)]
        Message.objects.bulk_create(messages, batch_size=2000)
    figures = {"agents": len(team_agents), "conversations": len(rows), "messages": len(messages)}
    if assign:
        week = week_assign(team=team)
        figures.update(week=week.label, assignments=week.assignments.count(), week_ends=week.ends_at)
    return figures


def seed_people(agents: int) -> tuple:
    """The team and its agents, each with a user who signs in with PASSWORD."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.hashers import make_password

    from conversations.models import Agent, Team

    password_hash = make_password(PASSWORD)  # hashed once: it costs ~0.2 s
    team = Team.objects.create(name="Ops team", source="intercom", external_id=TEAM_EXTERNAL_ID)
    users = get_user_model().objects.bulk_create(
        get_user_model()(
            username=agent_email(number),
            email=agent_email(number),
            first_name="Agent",
            last_name=f"{number:02d}",
            password=password_hash,
        )
        for number in range(agents)
    )
    team_agents = Agent.objects.bulk_create(
        Agent(
            source="intercom",
            external_id=str(FIRST_ADMIN_ID + number),
            name=f"Agent {number:02d}",
            email=agent_email(number),
            team=team,
            user=user,
        )
        for number, user in enumerate(users)
    )
    return team, team_agents


def seeded_conversation(item: Planned, team, team_agents: list):
    from conversations.models import Conversation

    at = datetime.fromtimestamp(item.updated_at, tz=UTC)
    return Conversation(
        source="intercom",
        external_id=item.external_id,
        subject=f"Conversation {item.external_id}",
        team=team,
        assignee=team_agents[item.index % len(team_agents)],
        state="closed",
        created_at=at - timedelta(hours=1),
        updated_at=at,
        closed_at=at,
        tags=["billing"],
        csat_rating=item.index % 5 + 1 if item.index % 3 == 0 else None,
        customer_message_count=4,
        agent_message_count=3,
        customer_word_count=40,
        agent_word_count=33,
    )


def seeded_messages(row, team_agents: list) -> list:
    """The customer's message, then three turns of an agent's reply and the customer's answer."""
    from conversations.models import AuthorKind, Message

    agent = team_agents[(int(row.external_id) - FIRST_CONVERSATION_ID) % len(team_agents)]
    start = row.updated_at - timedelta(minutes=10)
    question = "Hello, I need help with my invoices please, the totals look wrong since Monday."
    answer = "Okay, that worked, one more question about it."
    messages = [
        Message(
            conversation=row,
            external_id=f"source-9{row.external_id}",
            author_kind=AuthorKind.CUSTOMER,
            author_name="Casey Customer",
            created_at=row.created_at,
            body_html=f"<p>{question}</p>",
            body_text=question,
        )
    ]
    for turn in range(3):
        at = start + timedelta(minutes=turn)
        reply = f"Thanks for the detail, here is step {turn + 1} of the fix."
        messages += [
            Message(
                conversation=row,
                external_id=str(2 * turn + 1),
                author_kind=AuthorKind.AGENT,
                author_agent=agent,
                author_name=agent.name,
                created_at=at,
                body_html=f"<p>{reply}</p>",
                body_text=reply,
            ),
            Message(
                conversation=row,
                external_id=str(2 * turn + 2),
                author_kind=AuthorKind.CUSTOMER,
                author_name="Casey Customer",
                created_at=at + timedelta(seconds=30),
                body_html=f"<p>{answer}</p>",
                body_text=answer,
            ),
        ]
    return messages


def week_start(now: datetime) -> datetime:
    """Monday 00:00 UTC: a new team's default week start."""
    midnight = now.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    return midnight - timedelta(days=midnight.weekday())


def duplicate_conversations() -> int:
    from django.db.models import Count

    from conversations.models import Conversation

    return (
        Conversation.objects.values("source", "external_id").annotate(copies=Count("id")).filter(copies__gt=1).count()
    )


# --- a signed-in agent over HTTP -----------------------------------------------------------------
CSRF_FIELD = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
ASSIGNMENT_ROW = re.compile(r'<tr class="assignment-(\w+)">\s*<td>(?:<a href="/assignments/(\d+)/review/">)?')


@dataclass
class Sample:
    label: str
    started: float  # time.monotonic()
    seconds: float
    outcome: str  # the status code, or the exception's name
    ok: bool
    detail: str = ""  # the exception, for errors that are not an HTTP status


@dataclass
class Recorder:
    samples: list[Sample] = field(default_factory=list)

    def add(self, sample: Sample) -> None:
        self.samples.append(sample)  # list.append is atomic under the GIL


class PlainHttpSession(requests.Session):
    """Sends the Secure cookies over plain HTTP.

    Production marks the session and CSRF cookies Secure, and the rehearsal keeps production's
    settings (it does not set SESSION_COOKIE_SECURE/CSRF_COOKIE_SECURE=false). requests, like a
    browser, keeps such cookies but only sends them over HTTPS, so this client attaches them
    itself, as a TLS-terminating proxy in front of gunicorn makes a browser do. (A cookie
    policy on the session's jar is not enough: requests merges it into a fresh jar with the
    default policy before building the Cookie header.)
    """

    def prepare_request(self, request: requests.Request) -> requests.PreparedRequest:
        prepared = super().prepare_request(request)
        cookies = "; ".join(f"{cookie.name}={cookie.value}" for cookie in self.cookies)
        if cookies:
            prepared.headers["Cookie"] = cookies
        return prepared


class Browser:
    def __init__(self, base_url: str, recorder: Recorder, *, timeout: float = 30.0):
        self.base_url = base_url
        self.recorder = recorder
        self.timeout = timeout
        self.session = PlainHttpSession()

    def clone(self) -> Browser:
        """A second tab: the same cookies on a connection of its own."""
        other = Browser(self.base_url, self.recorder, timeout=self.timeout)
        for cookie in self.session.cookies:
            other.session.cookies.set_cookie(cookie)
        return other

    def call(self, label: str, method: str, path: str, expect: int, data: dict | None = None):
        started = time.monotonic()
        try:
            response = self.session.request(
                method, self.base_url + path, data=data, timeout=self.timeout, allow_redirects=False
            )
        except requests.RequestException as exc:
            self.recorder.add(
                Sample(label, started, time.monotonic() - started, type(exc).__name__, False, str(exc)[:300])
            )
            return None
        ok = response.status_code == expect
        self.recorder.add(Sample(label, started, time.monotonic() - started, str(response.status_code), ok))
        return response if ok else None

    def sign_in(self, email: str, password: str = PASSWORD) -> bool:
        page = self.call("GET /accounts/login/", "GET", "/accounts/login/", 200)
        token = CSRF_FIELD.search(page.text) if page is not None else None
        if token is None:
            return False
        data = {"csrfmiddlewaretoken": token.group(1), "username": email, "password": password}
        answer = self.call("POST /accounts/login/", "POST", "/accounts/login/", 302, data)
        return answer is not None and answer.headers.get("Location") == "/"

    def week(self) -> tuple[list[int], list[int], str] | None:
        """This week's assignments to do and done, and a CSRF token."""
        page = self.call("GET /week/", "GET", "/week/", 200)
        if page is None:
            return None
        to_do, done = [], []
        for status, assignment_id in ASSIGNMENT_ROW.findall(page.text):
            if status == "assigned" and assignment_id:
                to_do.append(int(assignment_id))
            elif status == "completed" and assignment_id:
                done.append(int(assignment_id))
        token = CSRF_FIELD.search(page.text)
        return to_do, done, token.group(1) if token else ""

    def review_form(self, assignment_id: int) -> str | None:
        page = self.call("GET /assignments/<id>/review/", "GET", f"/assignments/{assignment_id}/review/", 200)
        token = CSRF_FIELD.search(page.text) if page is not None else None
        return token.group(1) if token else None

    def review_post(self, assignment_id: int, token: str, *, quality: int = 2) -> bool:
        data = {
            "csrfmiddlewaretoken": token,
            "quality": str(quality),
            "quality_note": f"Load test review, quality {quality}.",
            "tone": "2",
            "tone_note": "",
            "process": "2",  # Followed internal processes: Yes
            "process_note": "",
            # Asked only on a low CSAT rating (and ignored elsewhere): the product, as is most often the case.
            "csat_cause": "product",
        }
        answer = self.call("POST /assignments/<id>/review/", "POST", f"/assignments/{assignment_id}/review/", 302, data)
        return answer is not None and answer.headers.get("Location") == "/week/"

    def pull(self, token: str, count: int = 3) -> bool:
        answer = self.call(
            "POST /week/pull/", "POST", "/week/pull/", 302, {"csrfmiddlewaretoken": token, "count": str(count)}
        )
        return answer is not None


# --- figures ------------------------------------------------------------------------------------
def percentile(sorted_values: list[float], fraction: float) -> float:
    """Nearest-rank percentile of an already sorted list."""
    if not sorted_values:
        return float("nan")
    rank = max(math.ceil(fraction * len(sorted_values)), 1)
    return sorted_values[min(rank, len(sorted_values)) - 1]


def latency_table(samples: list[Sample], seconds: float) -> list[str]:
    """Requests, errors, requests/s and p50/p95/p99/max latency per endpoint and overall."""
    labels = sorted({sample.label for sample in samples})
    lines = [
        f"  {'endpoint':<32} {'requests':>8} {'errors':>6} {'req/s':>7} "
        f"{'p50 ms':>7} {'p95 ms':>7} {'p99 ms':>7} {'max ms':>7}"
    ]
    for label in [*labels, "overall"]:
        chosen = [s for s in samples if label in ("overall", s.label)]
        times = sorted(s.seconds * 1000 for s in chosen)
        errors = sum(1 for s in chosen if not s.ok)
        lines.append(
            f"  {label:<32} {len(chosen):>8} {errors:>6} {len(chosen) / seconds:>7.1f} "
            f"{percentile(times, 0.50):>7.0f} {percentile(times, 0.95):>7.0f} "
            f"{percentile(times, 0.99):>7.0f} {times[-1] if times else float('nan'):>7.0f}"
        )
    return lines


def verdict(name: str, checks: list[tuple[bool | None, str]]) -> bool:
    """Prints the scenario's outcome: PASS when every check (True/False) holds; None lines are figures."""
    passed = all(ok for ok, _ in checks if ok is not None)
    log(f"\n{'PASS' if passed else 'FAIL'}  {name}")
    for ok, line in checks:
        log(f"      {'  ' if ok is None else 'ok' if ok else '!!'} {line}")
    return passed


# --- its own smoke run: the machinery, without the app ---------------------------------------------
def _smoke_figures() -> list[tuple[bool | None, str]]:
    ranks = [percentile(list(range(1, 11)), fraction) for fraction in (0.5, 0.95, 0.99)]
    samples = [Sample("GET /a", 0.0, 0.010, "200", True), Sample("GET /b", 0.0, 0.030, "500", False)]
    table = latency_table(samples, 2.0)
    return [
        (ranks == [5, 10, 10] and math.isnan(percentile([], 0.5)), f"nearest-rank p50/p95/p99 of 1..10: {ranks}"),
        (
            len(table) == 4 and table[-1].split()[:4] == ["overall", "2", "1", "1.0"],
            f"latency table: header, one row per endpoint, overall: {table[-1].strip()!r}",
        ),
    ]


def _smoke_processes(folder: Path) -> list[tuple[bool | None, str]]:
    processes = Processes(folder)
    # A leader with a child of its own, as gunicorn and Celery have: stop() must take both.
    leader = processes.start("pair", ["sh", "-c", "sleep 60 & sleep 60"], env=dict(os.environ))
    time.sleep(0.2)
    processes.stop("pair", timeout=5)
    try:
        # The orphaned child is reaped by whoever adopts it, a moment later.
        wait_for(lambda: not _group_members(leader.pid), timeout=3, interval=0.05, what="the group to end")
        group_gone = True
    except TimeoutError:
        group_gone = False
    try:
        wait_for(lambda: False, timeout=0.3, interval=0.1, what="nothing")
        gives_up = False
    except TimeoutError:
        gives_up = True
    redis = PrivateRedis(processes)
    redis.start()
    was_up = redis.ready()
    redis.stop()
    redis.cleanup()
    return [
        (group_gone, "Processes.stop() ends a process and what it started"),
        (gives_up, "wait_for() gives up after its timeout"),
        (was_up and not redis.ready() and not redis.dir.exists(), "a private Redis starts, stops and is removed"),
    ]


def _group_members(group: int) -> list[int]:
    """Live (not zombie) processes in a process group, read from /proc."""
    members = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError):
            fields = stat.read_text().rsplit(")", 1)[1].split()
            if int(fields[2]) == group and fields[0] != "Z":
                members.append(int(stat.parent.name))
    return members


def _smoke_helpdesk() -> list[tuple[bool | None, str]]:
    from conversations.tests.fake_intercom import TOKEN

    helpdesk = HelpdeskProcess(agents=3, planned=[Planned(0, 1_700_000_000), Planned(1, 1_700_000_060)], latency=0)
    try:
        headers = {"Authorization": f"Bearer {TOKEN}", "Accept": "application/json"}
        found = requests.get(f"{helpdesk.url}/conversations/{FIRST_CONVERSATION_ID}", headers=headers, timeout=5)
        total = helpdesk.call("add", planned=[Planned(2, 1_700_000_120, reviewable=False)])
        helpdesk.call("fail", method="GET", path_prefix="/conversations/", kind="garbage", times=1)
        garbage = requests.get(f"{helpdesk.url}/conversations/{FIRST_CONVERSATION_ID}", headers=headers, timeout=5)
        stats = helpdesk.stats()
    finally:
        helpdesk.stop()
    return [
        (found.status_code == 200 and found.json()["id"] == str(FIRST_CONVERSATION_ID), "the fake Intercom serves"),
        (total == 3 and stats["details"] == 2, f"conversations added: {total}; fetches counted: {stats['details']}"),
        (garbage.headers["Content-Type"] == "text/html", "a queued fault is served once"),
        (not helpdesk._process.is_alive(), "the fake Intercom's process stops"),
    ]


def _smoke_secure_cookies() -> list[tuple[bool | None, str]]:
    """PlainHttpSession sends the Secure cookies production sets, over plain HTTP."""
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200)
            self.send_header("Set-Cookie", "sessionid=s3cret; Path=/; Secure; HttpOnly")
            body = (self.headers.get("Cookie") or "").encode()
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        session = PlainHttpSession()
        url = f"http://127.0.0.1:{server.server_address[1]}/"
        session.get(url, timeout=5)
        sent = session.get(url, timeout=5).text
    finally:
        server.shutdown()
        server.server_close()
    return [(sent == "sessionid=s3cret", f"a Secure cookie goes back over HTTP: {sent!r}")]


def main() -> int:
    import argparse

    parser = argparse.ArgumentParser(description="The shared machinery's own checks (the scripts use it).")
    parser.add_argument("--smoke", action="store_true", required=True, help="check the pieces, without the app")
    parser.parse_args()
    try:
        require_tools("redis-server", "redis-cli")
    except Missing as exc:
        log(f"ops/stack.py --smoke cannot run: {exc}")
        return EXIT_MISSING
    folder = run_folder("stack", smoke=True)
    checks = _smoke_figures() + _smoke_processes(folder) + _smoke_helpdesk() + _smoke_secure_cookies()
    passed = verdict("ops/stack.py: processes, private Redis, fake Intercom, cookies, figures", checks)
    run_folder_close(folder, smoke=True, passed=passed)
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
