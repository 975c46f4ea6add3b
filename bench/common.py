"""What the benchmarks share: paths, their throwaway databases and Django's set-up."""

import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

BENCH_DIR = ROOT / "var" / "bench"
POSTGRES_SERVER = "postgres://postgres@127.0.0.1:5432"
# A prerequisite (PostgreSQL) is missing: bench/smoke reports a skip, a failure under CI=true.
EXIT_MISSING = 77


def database_url(database: str, *, sqlite_path: Path, postgres_db: str) -> str:
    return f"sqlite:///{sqlite_path}" if database == "sqlite" else f"{POSTGRES_SERVER}/{postgres_db}"


def django_setup(url: str, *, static_root: Path | None = None) -> None:
    # Production settings (DEBUG off: no query log, no template debugging, as the app serves)
    # with a throwaway key and plain HTTP: carousel/testing_settings.py says what differs.
    os.environ["DJANGO_SETTINGS_MODULE"] = "carousel.testing_settings"
    os.environ["DEBUG"] = "false"
    os.environ["DATABASE_URL"] = url
    # No cache or broker server, whatever the environment or .env says: a benchmark measures the
    # database, and must not touch a Redis the test suite (db 14) or a deploy uses.
    os.environ["REDIS_URL"] = ""
    os.environ["CELERY_BROKER_URL"] = "memory://"
    if static_root:
        # The settings make STATIC_ROOT on import; a smoke run keeps even that out of the tree.
        os.environ["STATIC_ROOT"] = str(static_root)
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    import django

    django.setup()


def sqlite_remove(path: Path) -> None:
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


def smoke_dir(script: str) -> Path:
    """A smoke run's files (SQLite, static) go to a temporary folder, never into the repository."""
    return Path(tempfile.mkdtemp(prefix=f"carousel-smoke-{script}-"))


def smoke_postgres_name(base: str) -> str:
    # The process id keeps two smoke runs on one server (two checkouts' CI) apart.
    return f"{base}_smoke_{os.getpid()}"


def postgres_missing() -> str | None:
    """Why the benchmarks' PostgreSQL cannot be used, or None when it can."""
    import psycopg

    try:
        psycopg.connect(f"{POSTGRES_SERVER}/postgres", connect_timeout=5).close()
    except psycopg.OperationalError as exc:
        return f"PostgreSQL is not reachable at {POSTGRES_SERVER} ({' '.join(str(exc).split())})"
    return None


def postgres_database_ensure(name: str, *, recreate: bool = False) -> None:
    import psycopg

    with psycopg.connect(f"{POSTGRES_SERVER}/postgres", autocommit=True) as connection:
        exists = connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if exists and recreate:
            connection.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
            exists = None
        if not exists:
            connection.execute(f'CREATE DATABASE "{name}"')


def postgres_database_drop(name: str) -> None:
    import psycopg

    with psycopg.connect(f"{POSTGRES_SERVER}/postgres", autocommit=True, connect_timeout=5) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
