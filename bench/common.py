"""What the benchmarks share: paths, their throwaway databases and Django's set-up."""

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

BENCH_DIR = ROOT / "var" / "bench"
POSTGRES_SERVER = "postgres://postgres@127.0.0.1:5432"


def database_url(database: str, *, sqlite_path: Path, postgres_db: str) -> str:
    return f"sqlite:///{sqlite_path}" if database == "sqlite" else f"{POSTGRES_SERVER}/{postgres_db}"


def django_setup(url: str) -> None:
    os.environ["DJANGO_SETTINGS_MODULE"] = "carousel.settings"
    os.environ["DEBUG"] = "true"  # settings refuse to load without a SECRET_KEY otherwise
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    import django

    django.setup()


def sqlite_remove(path: Path) -> None:
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


def postgres_database_ensure(name: str, *, recreate: bool = False) -> None:
    import psycopg

    with psycopg.connect(f"{POSTGRES_SERVER}/postgres", autocommit=True) as connection:
        exists = connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if exists and recreate:
            connection.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
            exists = None
        if not exists:
            connection.execute(f'CREATE DATABASE "{name}"')
