"""Local HTTP ports, one per load balancer listener, served by one accepting thread (a thread per connection).

Opening and closing a port is immediate, so a reset or a deleted load balancer frees its ports at once.
"""

import contextlib
import logging
import selectors
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler
from urllib.parse import urlsplit

from sandbox.routing import Request

log = logging.getLogger("sandbox")
CONNECTION_TIMEOUT = 120  # real seconds a connection may stay silent


class ListenerPorts:
    def __init__(self, answer, host: str = "127.0.0.1", port_range: tuple[int, int] | None = None):
        """`answer(key, Request) -> task_answer.Response` answers a request to the port opened for `key`; ports
        come from `port_range` (inclusive) while it has free ones (a container publishes a range), else any."""
        self.host = host
        self.port_range = port_range
        self._answer = answer
        self._lock = threading.Lock()
        self._selector = selectors.DefaultSelector()
        self._sockets: dict[str, socket.socket] = {}
        self._wake_read, self._wake_write = socket.socketpair()
        self._selector.register(self._wake_read, selectors.EVENT_READ, None)
        self._stopped = False
        self._thread = threading.Thread(target=self._loop, name="sandbox-listeners", daemon=True)
        self._thread.start()

    def open(self, key: str, preferred_port: int = 0) -> int:
        """Serve `key` on a port (the preferred one when it is free, else any free one); answers the port."""
        with self._lock:
            if key in self._sockets:
                return self._sockets[key].getsockname()[1]
            sock = self._bind(preferred_port)
            sock.setblocking(False)
            self._sockets[key] = sock
            self._selector.register(sock, selectors.EVENT_READ, key)
        self._wake()
        return sock.getsockname()[1]

    def _bind(self, preferred_port: int) -> socket.socket:
        candidates = [preferred_port] if preferred_port else []
        if self.port_range:
            candidates += [port for port in range(self.port_range[0], self.port_range[1] + 1) if port != preferred_port]
        for port in candidates:
            with contextlib.suppress(OSError):
                return socket.create_server((self.host, port))
        return socket.create_server((self.host, 0))

    def close(self, key: str) -> None:
        with self._lock:
            sock = self._sockets.pop(key, None)
            if sock is not None:
                self._selector.unregister(sock)
                sock.close()
        self._wake()

    def close_all(self) -> None:
        for key in list(self._sockets):
            self.close(key)

    def stop(self) -> None:
        self.close_all()
        self._stopped = True
        self._wake()
        self._thread.join(timeout=5)

    def _wake(self) -> None:
        with contextlib.suppress(OSError):  # closed at stop
            self._wake_write.send(b"x")

    def _loop(self) -> None:
        while not self._stopped:
            for selected, _ in self._selector.select(timeout=1):
                if selected.data is None:
                    self._wake_read.recv(4096)
                    continue
                with self._lock:
                    if self._sockets.get(selected.data) is not selected.fileobj:
                        continue  # closed meanwhile
                    try:
                        connection, _ = selected.fileobj.accept()
                    except OSError:
                        continue
                connection.setblocking(True)
                connection.settimeout(CONNECTION_TIMEOUT)
                threading.Thread(target=self._serve, args=(connection, selected.data), daemon=True).start()

    def _serve(self, connection: socket.socket, key: str) -> None:
        try:
            _Handler(connection, ("127.0.0.1", 0), _Server(key, self._answer))
        except OSError:
            pass
        except Exception:  # noqa: BLE001 - one failed answer must not stop the port; it is logged
            log.exception("load balancer port for %s failed", key)
        finally:
            connection.close()


class _Server:
    def __init__(self, key, answer):
        self.key, self.answer = key, answer


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def _respond(self):
        parts = urlsplit(self.path)
        headers = {k.lower(): v for k, v in self.headers.items()}
        try:
            response = self.server.answer(
                self.server.key, Request(self.command, parts.path or "/", parts.query, headers)
            )
        except Exception:
            log.exception("answering %s %s failed", self.command, self.path)
            from sandbox.task_answer import alb_error

            response = alb_error(502)
        if response.delay:
            time.sleep(response.delay)
        self._server_name = response.server
        self.send_response(response.status)
        self.send_header("Content-Type", response.content_type)
        self.send_header("Content-Length", str(len(response.body)))
        self.send_header("Connection", "close")
        for name, value in response.headers:
            self.send_header(name, value)
        self.end_headers()
        self.close_connection = True
        if self.command != "HEAD":
            self.wfile.write(response.body)

    do_GET = do_HEAD = do_POST = do_PUT = do_DELETE = do_PATCH = do_OPTIONS = _respond

    def version_string(self):
        return getattr(self, "_server_name", "awselb/2.0")

    def log_message(self, format, *args):  # noqa: A002 - BaseHTTPRequestHandler's signature
        pass
