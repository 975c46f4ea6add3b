"""Shared machinery for the ops scripts: services, app processes, the fake helpdesk, signed-in agents.

Nothing here changes the app: the scripts start it exactly as the Procfile does (gunicorn,
a Celery worker, beat) against PostgreSQL and Redis, and drive it over HTTP on loopback.
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


def run_checked(argv: list[str], *, env: dict[str, str], timeout: float = 120) -> str:
    done = subprocess.run(argv, cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    return done.stdout


# --- PostgreSQL and Redis ----------------------------------------------------------------------
def _pg_bin(name: str) -> str:
    found = sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{name}"))
    if found:
        return str(found[-1])
    on_path = shutil.which(name)
    if not on_path:
        raise RuntimeError(f"PostgreSQL's {name} is not installed")
    return on_path


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


def manage(env: dict[str, str], *args: str, timeout: float = 180) -> str:
    return run_checked([PYTHON, "manage.py", *args], env=env, timeout=timeout)


def start_web(processes: Processes, env: dict[str, str], port: int, *extra_args: str) -> str:
    """gunicorn as the Procfile runs it; extra_args (command-line flags) override gunicorn.conf.py."""
    processes.start(
        "gunicorn",
        [str(BIN / "gunicorn"), "carousel.wsgi", "--config", "gunicorn.conf.py", *extra_args],
        env={**env, "GUNICORN_BIND": f"127.0.0.1:{port}", "WEB_CONCURRENCY": "2"},
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
            since = options.get("since", 0)
            logged = server.log[since:]
            connection.send(
                {
                    "requests": len(server.log),
                    "searches": sum(1 for method, path in logged if path == "/conversations/search"),
                    "details": sum(
                        1 for method, path in logged if method == "GET" and path.startswith("/conversations/")
                    ),
                    "search_bodies": server.search_bodies[options.get("bodies_since", 0) :],
                    "search_count": len(server.search_bodies),
                }
            )
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
def seed_team(*, agents: int, conversations: list[Planned], assign: bool = True) -> dict:
    """A team of agents with sign-ins, their reviewable conversations and this week's batches."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.hashers import make_password
    from django.db import transaction

    from conversations.models import Agent, AuthorKind, Conversation, Message, Team
    from reviews.services import week_assign

    password_hash = make_password(PASSWORD)  # hashed once: it costs ~0.2 s
    with transaction.atomic():
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
        rows = []
        for item in conversations:
            at = datetime.fromtimestamp(item.updated_at, tz=UTC)
            rows.append(
                Conversation(
                    source="intercom",
                    external_id=item.external_id,
                    subject=f"Conversation {item.external_id}",
                    team=team,
                    assignee=team_agents[item.index % agents],
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
            )
        Conversation.objects.bulk_create(rows)
        messages = []
        for row in rows:
            agent = team_agents[(int(row.external_id) - FIRST_CONVERSATION_ID) % agents]
            start = row.updated_at - timedelta(minutes=10)
            messages.append(
                Message(
                    conversation=row,
                    external_id=f"source-9{row.external_id}",
                    author_kind=AuthorKind.CUSTOMER,
                    author_name="Casey Customer",
                    created_at=row.created_at,
                    body_html="<p>Hello, I need help with my invoices please, the totals look wrong since Monday.</p>",
                    body_text="Hello, I need help with my invoices please, the totals look wrong since Monday.",
                )
            )
            for turn in range(3):
                at = start + timedelta(minutes=turn)
                reply = f"Thanks for the detail, here is step {turn + 1} of the fix."
                messages.append(
                    Message(
                        conversation=row,
                        external_id=str(2 * turn + 1),
                        author_kind=AuthorKind.AGENT,
                        author_agent=agent,
                        author_name=agent.name,
                        created_at=at,
                        body_html=f"<p>{reply}</p>",
                        body_text=reply,
                    )
                )
                messages.append(
                    Message(
                        conversation=row,
                        external_id=str(2 * turn + 2),
                        author_kind=AuthorKind.CUSTOMER,
                        author_name="Casey Customer",
                        created_at=at + timedelta(seconds=30),
                        body_html="<p>Okay, that worked, one more question about it.</p>",
                        body_text="Okay, that worked, one more question about it.",
                    )
                )
        Message.objects.bulk_create(messages, batch_size=2000)
    figures = {"agents": len(team_agents), "conversations": len(rows), "messages": len(messages)}
    if assign:
        week = week_assign(team=team)
        figures.update(week=week.label, assignments=week.assignments.count(), week_ends=week.ends_at)
    return figures


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
            "followed_process": "yes",
            "process_note": "",
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
