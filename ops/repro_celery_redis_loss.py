"""Minimal reproduction, with no Carousel code, of the worker crash seen in ops/faults.py scenario a.

    .venv/bin/python ops/repro_celery_redis_loss.py [--concurrency 2]

A Celery worker (prefork, --concurrency 2, the Procfile's default) runs a task with
acks_late=True, as every Carousel task is. Redis goes away for a few seconds while the task
runs. With celery 5.7.0 (kombu 5.7.0, redis-py 8.1.0, as pinned in requirements.txt) the
worker logs "Restoring 1 unacknowledged message(s)", then "Unrecoverable error:
AttributeError("'NoneType' object has no attribute 'hostname'")", finishes the running task
and exits with code 1, so nothing consumes the queue once Redis is back. With --concurrency 1,
with acks_late off, or with celery 5.6.3 (same kombu and redis-py) it reconnects and carries on.

Uses a Redis of its own on a free loopback port and removes everything it started.
"""

from __future__ import annotations

import argparse
import importlib.metadata
import os
import sys
import time
from datetime import UTC, datetime

from stack import BIN, ROOT, PrivateRedis, Processes, log, wait_for

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
    time.sleep(8)
    return "done"
"""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--concurrency", type=int, default=2)
    args = parser.parse_args()
    versions = ", ".join(f"{name} {importlib.metadata.version(name)}" for name in ("celery", "kombu", "redis"))
    log(f"{versions}; worker --concurrency {args.concurrency}; task acks_late=True, 8 s long")

    folder = ROOT / "var" / "ops" / f"repro-celery-{datetime.now(UTC):%Y%m%d-%H%M%S}"
    folder.mkdir(parents=True)
    (folder / "repro_tasks.py").write_text(TASKS)
    processes = Processes(folder)
    redis = PrivateRedis(processes)
    try:
        redis.start()
        env = {**os.environ, "BROKER": redis.url.rsplit("/", 1)[0] + "/0", "PYTHONPATH": str(folder)}
        worker = processes.start(
            "worker",
            [str(BIN / "celery"), "-A", "repro_tasks", "worker", "--loglevel", "INFO"]
            + ["--concurrency", str(args.concurrency)],
            env=env,
            cwd=folder,
        )
        wait_for(lambda: " ready." in processes.log_text("worker"), timeout=30, what="the worker")
        os.environ["BROKER"] = env["BROKER"]
        sys.path.insert(0, str(folder))
        import repro_tasks

        repro_tasks.slow.delay()
        wait_for(lambda: "received" in processes.log_text("worker"), timeout=10, what="the task to start")
        time.sleep(2)
        redis.stop()
        log("Redis stopped while the task runs; starting it again in 3 s")
        time.sleep(3)
        redis.start()
        time.sleep(8)
        if worker.poll() is None:
            repro_tasks.slow.delay()
            try:
                wait_for(lambda: processes.log_text("worker").count("succeeded") >= 2, timeout=20, what="a second task")
                log("OK: the worker reconnected and ran a task sent after Redis came back")
                return 0
            except TimeoutError:
                log("BUG: the worker is alive but ran no task sent after Redis came back")
                return 1
        crash = [line for line in processes.log_text("worker").splitlines() if "CRITICAL" in line]
        log(f"BUG: the worker exited with code {worker.returncode}: {crash[0] if crash else '(no CRITICAL line)'}")
        return 1
    finally:
        processes.stop_all()
        redis.cleanup()
        log(f"(worker log: {(folder / 'worker.log').relative_to(ROOT)})")


if __name__ == "__main__":
    sys.exit(main())
