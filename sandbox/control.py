"""The control endpoint under /_sandbox/: health, reset, clock, faults, settings, call counts, accounts, load
balancers."""

import json
from collections import Counter

from sandbox import __version__
from sandbox.faults import FaultError


def _json(start_response, status: int, data) -> list[bytes]:
    body = json.dumps(data, default=str).encode()
    reason = {200: "OK", 400: "Bad Request", 404: "Not Found", 405: "Method Not Allowed", 409: "Conflict"}
    start_response(
        f"{status} {reason.get(status, 'Status')}",
        [("Content-Type", "application/json"), ("Content-Length", str(len(body)))],
    )
    return [body]


class CallCounter:
    def __init__(self):
        self._lock = __import__("threading").Lock()
        self._counts: Counter = Counter()

    def add(self, account: str, service: str, operation: str) -> None:
        with self._lock:
            self._counts[(account, service, operation)] += 1

    def snapshot(self) -> dict[str, dict[str, int]]:
        """{service: {operation: count}}, all accounts together."""
        out: dict[str, Counter] = {}
        for calls in self.by_account().values():
            for service, operations in calls.items():
                out.setdefault(service, Counter()).update(operations)
        return {service: dict(sorted(ops.items())) for service, ops in sorted(out.items())}

    def by_account(self) -> dict[str, dict[str, dict[str, int]]]:
        """{account: {service: {operation: count}}}."""
        with self._lock:
            out: dict[str, dict[str, dict[str, int]]] = {}
            for (account, service, operation), n in sorted(self._counts.items()):
                out.setdefault(account, {}).setdefault(service, {})[operation] = n
            return out

    def clear(self) -> None:
        with self._lock:
            self._counts.clear()


class Control:
    def __init__(self, sandbox):
        self.sandbox = sandbox

    def __call__(self, environ, start_response):
        method = environ.get("REQUEST_METHOD", "GET")
        path = environ.get("PATH_INFO", "").rstrip("/")
        try:
            body = self._body(environ)
        except ValueError:
            return _json(start_response, 400, {"error": "the body must be a JSON object"})
        routes = {
            ("GET", "/_sandbox/health"): self.health,
            ("POST", "/_sandbox/reset"): self.reset,
            ("POST", "/_sandbox/clock/advance"): self.advance,
            ("GET", "/_sandbox/clock"): self.clock,
            ("GET", "/_sandbox/faults"): self.list_faults,
            ("POST", "/_sandbox/faults"): self.set_fault,
            ("DELETE", "/_sandbox/faults"): self.clear_faults,
            ("GET", "/_sandbox/calls"): self.calls,
            ("GET", "/_sandbox/settings"): self.get_settings,
            ("POST", "/_sandbox/settings"): self.set_settings,
            ("POST", "/_sandbox/accounts"): self.account,
            ("GET", "/_sandbox/load-balancers"): self.load_balancers,
        }
        handler = routes.get((method, path))
        if handler is None:
            known = sorted({p for _, p in routes})
            status = 405 if path in known else 404
            return _json(start_response, status, {"error": f"{method} {path} is not a control route", "routes": known})
        try:
            status, data = handler(body, environ)
        except (FaultError, ValueError, TypeError) as exc:
            return _json(start_response, 400, {"error": str(exc)})
        except RuntimeError as exc:
            return _json(start_response, 409, {"error": str(exc)})
        except Exception as exc:  # noqa: BLE001 - answer JSON, never an HTML 500
            import logging

            logging.getLogger("sandbox").exception("control %s %s failed", method, path)
            return _json(start_response, 500, {"error": f"sandbox error: {exc}"})
        return _json(start_response, status, data)

    @staticmethod
    def _body(environ) -> dict:
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        raw = environ["wsgi.input"].read(length) if length else b""
        if not raw.strip():
            return {}
        data = json.loads(raw)
        if not isinstance(data, dict):
            raise ValueError("not an object")
        return data

    def health(self, body, environ):
        sb = self.sandbox
        return 200, {
            "sandbox": True,
            "version": __version__,
            "clock": sb.clock.now().isoformat(),
            "speed": sb.clock.speed,
            "manual_clock": sb.clock.manual,
        }

    def clock(self, body, environ):
        return 200, {"clock": self.sandbox.clock.now().isoformat(), "manual_clock": self.sandbox.clock.manual}

    def reset(self, body, environ):
        self.sandbox.reset()
        return 200, {"reset": True, "clock": self.sandbox.clock.now().isoformat()}

    def advance(self, body, environ):
        seconds = body.get("seconds")
        if isinstance(seconds, bool) or not isinstance(seconds, int | float) or seconds < 0:
            raise ValueError("seconds must be a number >= 0")
        steps = self.sandbox.world.advance(seconds)
        return 200, {"clock": self.sandbox.clock.now().isoformat(), "transitions": steps}

    def list_faults(self, body, environ):
        return 200, {"faults": self.sandbox.faults.list()}

    def set_fault(self, body, environ):
        fault = self.sandbox.faults.add(body)
        return 200, {"fault": fault.as_dict()}

    def clear_faults(self, body, environ):
        from urllib.parse import parse_qs

        query = parse_qs(environ.get("QUERY_STRING", ""))
        fault_id = body.get("id") or (query.get("id") or [None])[0]
        self.sandbox.faults.clear(int(fault_id) if fault_id is not None else None)
        return 200, {"faults": self.sandbox.faults.list()}

    def get_settings(self, body, environ):
        return 200, {"settings": self.sandbox.world.settings.as_dict()}

    def set_settings(self, body, environ):
        return 200, {"settings": self.sandbox.world.settings.update(body)}

    def calls(self, body, environ):
        from urllib.parse import parse_qs

        by = (parse_qs(environ.get("QUERY_STRING", "")).get("by") or [""])[0]
        if by not in ("", "account"):
            raise ValueError("by must be 'account' (or absent)")
        counter = self.sandbox.calls
        return 200, {"calls": counter.by_account() if by else counter.snapshot()}

    def account(self, body, environ):
        from sandbox.accounts import credentials

        return 200, credentials(self.sandbox.world, body.get("account_id"))

    def load_balancers(self, body, environ):
        return 200, self.sandbox.load_balancers.listing()
