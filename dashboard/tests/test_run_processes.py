"""The process runner of `make demo` / `make serve`: routine work stays off the terminal, Ctrl-C stops everything."""

import os
import re
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _procfile(tmp_path, names):
    lines = (ROOT / "Procfile").read_text().splitlines()
    chosen = [line for line in lines if line.split(":", 1)[0] in names]
    path = tmp_path / "Procfile"
    path.write_text("\n".join(chosen) + "\n")
    return path


def _heartbeat_seen(database):
    try:
        with sqlite3.connect(database) as connection:
            return connection.execute("select count(*) from dashboard_workerheartbeat").fetchone()[0] > 0
    except sqlite3.OperationalError:
        return False


def _wait(condition, seconds, what):
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"{what} after {seconds} s"
        time.sleep(0.1)


def test_routine_tasks_stay_quiet_and_ctrl_c_stops_worker_and_beat(tmp_path):
    # The demo's own defaults: SQLite and the file broker in its var/, nothing shared with the test database.
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    env.update(VAR_DIR=str(tmp_path / "var"), PATH=f"{Path(sys.executable).parent}:{env['PATH']}")
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput"], cwd=ROOT, env=env, check=True, capture_output=True
    )
    runner = subprocess.Popen(
        [sys.executable, "scripts/run_processes.py", "--procfile", str(_procfile(tmp_path, {"worker", "beat"}))],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    output = []
    reader = threading.Thread(target=lambda: output.extend(runner.stdout), daemon=True)
    reader.start()
    try:
        # The heartbeat is a routine task: it ran (its row is there) but printed nothing at INFO.
        _wait(lambda: _heartbeat_seen(tmp_path / "var" / "db.sqlite3"), 60, "no worker heartbeat")
        _wait(lambda: any("Sending due task" in line or "beat: Starting" in line for line in output), 30, "no beat")
        runner.send_signal(signal.SIGINT)
        runner.wait(timeout=40)
    finally:
        if runner.poll() is None:
            runner.kill()
    reader.join(timeout=5)
    text = "".join(output)
    assert runner.returncode == 0, text
    assert "celery@" in text and " ready." in text  # the worker's own INFO lines still show
    routine = re.compile(r"Task (dashboard\.tasks\.record_heartbeat|releases\.tasks\.poll_due)\[|Sending due task")
    assert not routine.search(text), text
    assert "killing it" not in text  # the worker stopped on its own, no SIGKILL needed
    assert "Warm shutdown" in text and text.rstrip().endswith("stopped")


def test_every_task_beat_runs_is_a_routine_one():
    from dashboard.celery import app
    from dashboard.logs import ROUTINE_TASKS

    assert {entry["task"] for entry in app.conf.beat_schedule.values()} <= ROUTINE_TASKS
