"""AWS calls per minute for one active release target with 1 and with 50 viewers, and the latency of the
console's status fragment under that load.

    .venv/bin/python bench/console_polling.py [--seconds 20] [--viewers 50]

Runs the local sandbox AWS in-process, builds the tutorial's setup by hand (plain boto3), tracks it, pushes an
image and lets the deployment reach Ready (an active target: refreshed every 2 s). Then, for each viewer count,
beat and the poller run for --seconds while each simulated viewer polls the status fragment over HTTP as the page
does (every 2 s, carrying the version it holds; every fifth poll renders in full, as while traffic shifts).
Uses DATABASE_URL if set (its name must contain "bench": the bench empties it), else a throwaway SQLite file.
"""

import argparse
import http.cookiejar
import statistics
import threading
import time
import urllib.request

from common import setup_django  # first: it sets the environment before Django loads

PAGE_POLL_SECONDS = 2.0


def serve_django(threads=8):
    """The dashboard over real HTTP with a fixed pool of threads, as `gunicorn --threads` serves it (and with as
    many database connections, not one per request)."""
    from concurrent.futures import ThreadPoolExecutor
    from socketserver import ThreadingMixIn
    from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

    from django.core.wsgi import get_wsgi_application

    class Quiet(WSGIRequestHandler):
        def log_message(self, *args):
            pass

    class PooledServer(ThreadingMixIn, WSGIServer):
        pool = ThreadPoolExecutor(threads)

        def process_request(self, request, client_address):
            self.pool.submit(self.process_request_thread, request, client_address)

    server = make_server("127.0.0.1", 0, get_wsgi_application(), server_class=PooledServer, handler_class=Quiet)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}"


def session_cookie():
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group
    from django.test import Client

    user, _ = get_user_model().objects.get_or_create(username="bench-viewer")
    user.groups.add(Group.objects.get_or_create(name="viewer")[0])
    client = Client()
    client.force_login(user)
    return client.cookies["sessionid"].value


class Viewer(threading.Thread):
    """One browser tab: asks for the fragment every 2 s with the version it holds (204 while unchanged)."""

    def __init__(self, base, target, cookie, stop, latencies):
        super().__init__(daemon=True)
        self.url = f"{base}/releases/{target.pk}/live/"
        self.version = None
        self.stop, self.latencies = stop, latencies
        jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
        self.opener.addheaders = [("Cookie", f"sessionid={cookie}"), ("HX-Request", "true")]

    def run(self):
        time.sleep(PAGE_POLL_SECONDS * (hash(self) % 100) / 100)  # tabs are not in step
        polls = 0
        while not self.stop.is_set():
            polls += 1
            # Every fifth poll as if the state had changed (a full render), as during a traffic shift.
            held = self.version if polls % 5 else None
            url = self.url + (f"?v={held}" if held else "")
            started = time.perf_counter()
            with self.opener.open(url, timeout=30) as response:
                body = response.read()
                status = response.status
            self.latencies.append((status, (time.perf_counter() - started) * 1000))
            if status == 200:
                marker = body.split(b'data-version="', 1)[1]
                self.version = marker.split(b'"', 1)[0].decode()
            self.stop.wait(PAGE_POLL_SECONDS)


def beat(stop):
    """Celery beat's schedule entry, inline: every second, refresh the targets that are due."""
    from django.db import close_old_connections

    from releases.worker import polling

    while not stop.wait(1.0):
        try:
            for target_id in polling.claim_due():
                polling.refresh(target_id)
        finally:
            close_old_connections()


def total_calls(sandbox):
    return sum(n for ops in sandbox.calls().values() for n in ops.values())


def measure(sandbox, base, target, cookie, viewers, seconds):
    stop, latencies = threading.Event(), []
    before = total_calls(sandbox)
    threads = [threading.Thread(target=beat, args=(stop,), daemon=True)]
    threads += [Viewer(base, target, cookie, stop, latencies) for _ in range(viewers)]
    for thread in threads:
        thread.start()
    time.sleep(seconds)
    stop.set()
    for thread in threads:
        thread.join(timeout=30)
    per_minute = (total_calls(sandbox) - before) * 60 / seconds
    return per_minute, latencies


def percentiles(values):
    if len(values) < 2:
        return (values[0], values[0]) if values else (float("nan"), float("nan"))
    cuts = statistics.quantiles(values, n=100)
    return cuts[49], cuts[94]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=20.0, help="length of each measurement (real seconds)")
    parser.add_argument("--viewers", type=int, default=50)
    args = parser.parse_args()

    from sandbox.testing import run_sandbox

    with run_sandbox(manual_clock=True) as sandbox:
        setup_django(sandbox.endpoint_url)
        from dashboard import aws
        from releases.tests.conftest import console_tutorial
        from releases.worker import polling
        from releases.worker.track import track_pipeline
        from sandbox.testing import SandboxClients

        tutorial = console_tutorial(SandboxClients(sandbox)).settle()
        target = track_pipeline(tutorial.pipeline, connection=aws.Connection.from_settings())
        tutorial.push_image()
        for _ in range(40):
            sandbox.advance(5)
            polling.refresh(target.pk)
            target.refresh_from_db()
            deployment = target.latest_deployment()
            if deployment and deployment.status == "Ready":
                break
        target.refresh_from_db()
        print(
            f"Target {target.name}: deployment {deployment.deployment_id} {deployment.status}, active={target.active}"
        )
        server, base = serve_django()
        cookie = session_cookie()
        print(f"{'viewers':>8} {'AWS calls/min':>14} {'requests':>9} {'204 p50/p95 ms':>16} {'200 p50/p95 ms':>16}")
        for viewers in (1, args.viewers):
            per_minute, latencies = measure(sandbox, base, target, cookie, viewers, args.seconds)
            unchanged = [ms for status, ms in latencies if status == 204]
            rendered = [ms for status, ms in latencies if status == 200]
            p204, p200 = percentiles(unchanged), percentiles(rendered)
            print(
                f"{viewers:>8} {per_minute:>14.0f} {len(latencies):>9} "
                f"{p204[0]:>7.1f}/{p204[1]:<8.1f} {p200[0]:>7.1f}/{p200[1]:<8.1f}"
            )
        server.shutdown()


if __name__ == "__main__":
    main()
