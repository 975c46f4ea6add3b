"""Minimal reproduction, with no Carousel code, of the worker crash seen in ops/faults.py scenario a.

    .venv/bin/python ops/repro_celery_redis_loss.py [--concurrency 2]
    .venv/bin/python ops/repro_celery_redis_loss.py --smoke     # a 2 s task, Redis down 1 s

A Celery worker (prefork, --concurrency 2, the Procfile's default) runs a task with
acks_late=True, as every Carousel task is. Redis goes away for a few seconds while the task
runs. With celery 5.7.0 (kombu 5.7.0, redis-py 8.1.0) the worker logs "Restoring 1
unacknowledged message(s)", then "Unrecoverable error: AttributeError("'NoneType' object has
no attribute 'hostname'")", finishes the running task and exits with code 1, so nothing
consumes the queue once Redis is back. With --concurrency 1, with acks_late off, or with
celery 5.6.3 (same kombu and redis-py, as pinned in requirements.txt) it reconnects and
carries on.

Exits 0 when the worker survives and runs a task sent after Redis came back, 1 when it does
not (the bug), 77 when redis-server is not installed. Uses a Redis of its own on a free
loopback port and removes everything it started; a smoke run keeps its folder only if it fails.
"""

from __future__ import annotations

import argparse
import importlib.metadata
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from stack import (
    BIN,
    EXIT_MISSING,
    Missing,
    PrivateRedis,
    Processes,
    log,
    require_tools,
    run_folder,
    run_folder_close,
    shown,
    wait_for,
)

TASKS = """
import os
import time

from celery import Celery

app = Celery("repro", broker=os.environ["BROKER"])
app.conf.task_acks_late = True
app.conf.worker_prefetch_multiplier = 1
app.conf.broker_connection_retry_on_startup = True


@app.task
def slow():
    time.sleep(float(os.environ["TASK_SECONDS"]))
    return "done"
"""


@dataclass(frozen=True)
class Timing:
    task: float  # how long the task runs
    stop_after: float  # seconds into the task when Redis stops
    down: float  # how long Redis stays down
    settle: float  # after Redis is back: time for the task to end, and for the worker to exit if it will


FULL = Timing(task=8, stop_after=2, down=3, settle=8)
SMOKE = Timing(task=2, stop_after=0.5, down=1, settle=3)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--concurrency", type=int, default=2)
    parser.add_argument("--smoke", action="store_true", help="the same scenario with a 2 s task (what CI runs)")
    args = parser.parse_args()
    timing = SMOKE if args.smoke else FULL
    versions = ", ".join(f"{name} {importlib.metadata.version(name)}" for name in ("celery", "kombu", "redis"))
    log(f"{versions}; worker --concurrency {args.concurrency}; task acks_late=True, {timing.task:g} s long")

    try:
        require_tools("redis-server", "redis-cli")
    except Missing as exc:
        log(f"ops/repro_celery_redis_loss.py cannot run: {exc}")
        return EXIT_MISSING
    folder = run_folder("repro-celery", smoke=args.smoke)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "repro_tasks.py").write_text(TASKS)
    processes = Processes(folder)
    redis = PrivateRedis(processes)
    code = 1
    try:
        code = reproduce(processes, redis, folder, args.concurrency, timing)
        return code
    finally:
        processes.stop_all()
        redis.cleanup()
        if not args.smoke:
            log(f"(worker log: {shown(folder / 'worker.log')})")
        run_folder_close(folder, smoke=args.smoke, passed=code == 0)


def reproduce(processes: Processes, redis: PrivateRedis, folder: Path, concurrency: int, timing: Timing) -> int:
    redis.start()
    env = {
        **os.environ,
        "BROKER": redis.url.rsplit("/", 1)[0] + "/0",
        "PYTHONPATH": str(folder),
        "TASK_SECONDS": str(timing.task),
    }
    worker = processes.start(
        "worker",
        [str(BIN / "celery"), "-A", "repro_tasks", "worker", "--loglevel", "INFO", "--concurrency", str(concurrency)],
        env=env,
        cwd=folder,
    )
    wait_for(lambda: " ready." in processes.log_text("worker"), timeout=30, what="the worker")
    os.environ["BROKER"] = env["BROKER"]
    sys.path.insert(0, str(folder))
    import repro_tasks

    repro_tasks.slow.delay()
    wait_for(lambda: "received" in processes.log_text("worker"), timeout=10, what="the task to start")
    time.sleep(timing.stop_after)
    redis.stop()
    log(f"Redis stopped while the task runs; starting it again in {timing.down:g} s")
    time.sleep(timing.down)
    redis.start()
    time.sleep(timing.settle)
    if worker.poll() is None:
        repro_tasks.slow.delay()
        try:
            wait_for(
                lambda: processes.log_text("worker").count("succeeded") >= 2,
                timeout=timing.task + 12,
                what="a second task",
            )
            log("OK: the worker reconnected and ran a task sent after Redis came back")
            return 0
        except TimeoutError:
            log("BUG: the worker is alive but ran no task sent after Redis came back")
            return 1
    crash = [line for line in processes.log_text("worker").splitlines() if "CRITICAL" in line]
    log(f"BUG: the worker exited with code {worker.returncode}: {crash[0] if crash else '(no CRITICAL line)'}")
    return 1


if __name__ == "__main__":
    sys.exit(main())
