"""A real local HTTP service for the smoke check tests, in a thread: it answers as an application behind a listener
does (JSON when asked for it), and can be made unhealthy (a status, a slow answer, a wrong body, a redirect)."""

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class App:
    def __init__(self, color="green"):
        self.color, self.status, self.delay, self.location, self.body = color, 200, 0.0, "", None
        self.requests = []
        app = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self):
                app.requests.append({"path": self.path, "accept": self.headers.get("Accept", "")})
                time.sleep(app.delay)  # a slow application, as the test asks
                if app.location:
                    body = b""
                    self.send_response(302)
                    self.send_header("Location", app.location)
                elif app.body is not None:
                    body = app.body
                    self.send_response(app.status)
                elif "application/json" in self.headers.get("Accept", ""):
                    body = json.dumps({"status": "ok", "color": app.color, "build": {"number": 7}}).encode()
                    self.send_response(app.status)
                    self.send_header("Content-Type", "application/json")
                else:
                    body = f"<html><body><h1>{app.color} is ok</h1></body></html>".encode()
                    self.send_response(app.status)
                    self.send_header("Content-Type", "text/html")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


def check(**changes):
    """A smoke check as the settings keep it: GET /health answering 200 within 2 s, once, or `changes` to that."""
    return {
        "path": "/health",
        "status": 200,
        "body_text": "",
        "json_field": "",
        "json_value": "",
        "timeout": 2,
        "count": 1,
        "interval": 0,
        **changes,
    }
