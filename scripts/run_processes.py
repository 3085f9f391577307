"""Run the Procfile's processes side by side, as `make demo` and `make serve` do.

    python scripts/run_processes.py [--ready URL]... [--announce TEXT]... [NAME ...]

Each line of output is prefixed with the time and the process name. Once every `--ready` URL answers, the
`--announce` lines are printed again, so the address and the sign-in are not lost in the start-up output.
Ctrl-C (or SIGTERM) asks each process to stop with SIGTERM, sent to the process itself and not its group, so a
Celery worker stops its own pool children (a signal to the whole group can deadlock billiard's pool), and waits
up to `STOP_SECONDS` before it kills what is left. If any process exits on its own, the others are stopped too.
"""

import argparse
import contextlib
import os
import shlex
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

STOP_SECONDS = 20
READY_SECONDS = 120


def read_procfile(path):
    entries = {}
    for line in Path(path).read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            name, command = line.split(":", 1)
            entries[name.strip()] = command.strip()
    return entries


class Processes:
    def __init__(self, entries):
        self.entries = entries
        self.running = {}
        self.lock = threading.Lock()
        self.stopping = threading.Event()
        self.failed = False
        self.width = max(len(name) for name in entries)

    def say(self, name, text):
        with self.lock:
            sys.stdout.write(f"{time.strftime('%H:%M:%S')} {name:<{self.width}} | {text}\n")
            sys.stdout.flush()

    def start(self):
        for name, command in self.entries.items():
            # `exec` makes the program itself the child, so the stop signal reaches it and not a shell.
            process = subprocess.Popen(  # noqa: S602 - the commands are the project's own Procfile
                f"exec {command}",
                shell=True,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
                text=True,
                bufsize=1,
            )
            self.running[name] = process
            threading.Thread(target=self._copy_output, args=(name, process), daemon=True).start()

    def _copy_output(self, name, process):
        for line in process.stdout:
            self.say(name, line.rstrip("\n"))
        code = process.wait()
        if not self.stopping.is_set():
            self.say("system", f"{name} exited with code {code}; stopping the others")
            self.failed = True
            self.stopping.set()

    def stop(self):
        self.stopping.set()
        for process in self.running.values():
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + STOP_SECONDS
        for name, process in self.running.items():
            try:
                process.wait(timeout=max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                self.say("system", f"{name} did not stop within {STOP_SECONDS} s; killing it")
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
        # Pool children or helpers a process left behind in its own group.
        for process in self.running.values():
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)


def answers(url):
    if not url.startswith(("http://", "https://")):
        raise ValueError(f"not an HTTP address: {url}")
    try:
        urllib.request.urlopen(url, timeout=2).close()  # noqa: S310 - checked just above
    except urllib.error.HTTPError:
        return True  # any HTTP answer means the server is up
    except OSError:
        return False
    return True


def announce_when_ready(processes, urls, lines):
    deadline = time.monotonic() + READY_SECONDS
    pending = list(urls)
    while pending and time.monotonic() < deadline and not processes.stopping.is_set():
        pending = [url for url in pending if not answers(url)]
        if pending:
            processes.stopping.wait(0.25)
    if processes.stopping.is_set():
        return
    if pending:
        processes.say("system", f"still not answering after {READY_SECONDS} s: {', '.join(pending)}")
    for line in lines:
        processes.say("system", line)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("names", nargs="*", help="processes to run (default: every Procfile entry)")
    parser.add_argument("--procfile", default="Procfile")
    parser.add_argument("--ready", action="append", default=[], help="a URL that answers once start-up is done")
    parser.add_argument("--announce", action="append", default=[], help="a line to print once ready")
    args = parser.parse_args(argv)
    entries = read_procfile(args.procfile)
    unknown = [name for name in args.names if name not in entries]
    if unknown:
        parser.error(f"not in {args.procfile}: {' '.join(map(shlex.quote, unknown))}")
    processes = Processes({name: entries[name] for name in args.names or entries})

    signal.signal(signal.SIGINT, lambda *_: processes.stopping.set())
    signal.signal(signal.SIGTERM, lambda *_: processes.stopping.set())
    processes.start()
    threading.Thread(target=announce_when_ready, args=(processes, args.ready, args.announce), daemon=True).start()
    while not processes.stopping.wait(0.5):
        pass
    processes.say("system", "stopping (the worker finishes the task it is running)")
    processes.stop()
    processes.say("system", "stopped")
    return 1 if processes.failed else 0


if __name__ == "__main__":
    sys.exit(main())
