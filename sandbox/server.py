"""The sandbox's WSGI server: control routes, emulated services, and moto for the rest."""

import logging
import os
import threading
import time

# moto reads this when IAM is first used; set it before moto is imported.
os.environ["MOTO_IAM_LOAD_MANAGED_POLICIES"] = "true"
os.environ.setdefault("MOTO_ALLOW_NONEXISTENT_REGION", "true")

from moto.moto_server.werkzeug_app import (  # noqa: E402
    DomainDispatcherApplication,
    MotoRequestHandler,
    create_backend_app,
)
from werkzeug.serving import make_server  # noqa: E402

from sandbox import moto_fixes, sts, wire  # noqa: E402
from sandbox.clock import Clock, Ticker  # noqa: E402
from sandbox.control import CallCounter, Control  # noqa: E402
from sandbox.faults import Faults  # noqa: E402
from sandbox.load_balancers import OBSERVED, LoadBalancers  # noqa: E402
from sandbox.persistence import StateStore, is_read, read_clock  # noqa: E402
from sandbox.propagation import ecs_refusal  # noqa: E402
from sandbox.world import World  # noqa: E402

log = logging.getLogger("sandbox")
DEFAULT_PORT = 4566


class QuietRequestHandler(MotoRequestHandler):
    def log_request(self, code="-", size="-"):
        pass

    def date_time_string(self, timestamp=None):
        # An answer's Date header is AWS's clock, so it is the sandbox's (clients measure their offset from it).
        app = getattr(self.server, "app", None)
        if timestamp is None and isinstance(app, SandboxApp):
            return app.sandbox.clock.http_date()
        return super().date_time_string(timestamp)


class SandboxApp:
    def __init__(self, sandbox: "Sandbox"):
        from sandbox.codecommit import CodeCommit
        from sandbox.codedeploy import CodeDeploy
        from sandbox.codepipeline import CodePipeline
        from sandbox.ecs_native import EcsNative

        self.sandbox = sandbox
        self.control = Control(sandbox)
        self.moto = DomainDispatcherApplication(create_backend_app)
        self.emulated = {}
        for api_class in (CodeDeploy, CodePipeline, CodeCommit):
            api = api_class(sandbox.world)
            self.emulated[api.target_prefix] = api
            sandbox.world.apis[api.botocore_name] = api
        self.ecs_native = EcsNative(self)

    def __call__(self, environ, start_response):
        answer = self._dispatch(environ, start_response)
        if self.sandbox.state is not None and environ.get("sandbox.mutating"):
            self.sandbox.state.mark_dirty()
        return answer

    def _moto(self, environ, start_response):
        if self.sandbox.state is None:
            return self.moto(environ, start_response)
        with self.sandbox.state.gate:  # a snapshot waits for this request, and the next one for the snapshot
            return self.moto(environ, start_response)

    def _dispatch(self, environ, start_response):
        if environ.get("PATH_INFO", "").startswith("/_sandbox"):
            environ["sandbox.mutating"] = environ.get("REQUEST_METHOD") != "GET"
            return self.control(environ, start_response)
        req = wire.read_request(environ)
        environ["sandbox.mutating"] = not is_read(req.operation)
        if not req.internal:
            self.sandbox.calls.add(req.account, req.service, req.operation)
            if sts.expired(req, self.sandbox.clock.now()):
                return wire.error_response(start_response, req, *wire.expired_token_error(req))
            if sts.unknown_session(req):
                return wire.error_response(start_response, req, *wire.invalid_token_error(req))
            delay = self.sandbox.faults.latency_ms(req.service, req.operation)
            if delay:
                time.sleep(delay / 1000)
            if self.sandbox.faults.should_throttle(req.service, req.operation):
                code, status = wire.throttling_code(req)
                return wire.error_response(start_response, req, code, "Rate exceeded", status)
        api = self.emulated.get(req.target_prefix)
        if api is not None:
            return api.handle(req, start_response)
        if req.service == "ecr" and req.operation == "PutImage" and not req.internal:
            return self._put_image(req, environ, start_response)
        if req.service == "sts" and req.operation == "AssumeRole":
            return sts.handle(self, req, environ, start_response)
        if req.service == "iam" and req.operation == "SimulatePrincipalPolicy":
            from sandbox import iam_simulation

            return iam_simulation.handle(self.sandbox.world.clients, req, start_response)
        if req.service == "iam" and req.operation == "CreateRole":
            return self._create_role(environ, start_response)
        if req.service == "ecs" and req.operation in ("CreateService", "RegisterTaskDefinition"):
            refusal = ecs_refusal(self.sandbox.world, req)
            if refusal:
                return wire.error_response(start_response, req, *refusal)
        if req.service == "ecs":
            answer = self.ecs_native.handle(req, environ, start_response)
            if answer is not None:
                return answer
        if (req.service, req.operation) in OBSERVED:
            return self.sandbox.load_balancers.handle(self, req, environ, start_response)
        return self._moto(environ, start_response)

    def moto_answer(self, environ) -> tuple[str, list, bytes]:
        """moto's answer (status, headers, body), not yet passed on."""
        captured = {}

        def capture(status, headers, exc_info=None):
            captured["status"], captured["headers"] = status, headers
            return lambda data: None

        chunks = self._moto(environ, capture)
        body = b"".join(chunks)
        if hasattr(chunks, "close"):
            chunks.close()
        return captured["status"], captured["headers"], body

    def _moto_answer(self, environ, start_response) -> tuple[str, bytes]:
        """Let moto answer, pass its answer on, and return (status, body) to act on it."""
        status, headers, body = self.moto_answer(environ)
        start_response(status, headers)
        return status, body

    def _create_role(self, environ, start_response):
        """Record when the role was created, on the sandbox clock (see propagation.py)."""
        status, body = self._moto_answer(environ, start_response)
        if status.startswith("200"):
            self.sandbox.world.roles.record_create_role_answer(body, self.sandbox.clock.now())
        return [body]

    def _put_image(self, req, environ, start_response):
        """Let moto store the image, then send the push to EventBridge (triggers.py)."""
        import json

        status, body = self._moto_answer(environ, start_response)
        if status.startswith("200"):
            try:
                image = json.loads(body)["image"]
                moto_fixes.set_image_pushed_at(
                    req.account, image["repositoryName"], image["imageId"]["imageDigest"], self.sandbox.clock.now()
                )
                self.sandbox.world.on_image_pushed(
                    req.account,
                    req.region,
                    image["repositoryName"],
                    image.get("imageId", {}).get("imageTag"),
                    image.get("imageId", {}).get("imageDigest"),
                )
            except Exception:  # noqa: BLE001 - a failed trigger must not fail the push; it is logged
                log.exception("could not start pipelines for an image push")
        return [body]


class Sandbox:
    """The whole local AWS. `start()` serves in a background thread; `serve_forever()` blocks."""

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = DEFAULT_PORT,
        speed: float = 1.0,
        manual_clock=False,
        state_dir=None,
        listener_host: str = "",
        listener_ports: tuple[int, int] | None = None,
    ):
        moto_fixes.apply()
        saved_clock = read_clock(state_dir) if state_dir else None
        self.clock = Clock(speed=speed, manual=manual_clock, start=_not_before_now(saved_clock))
        self.state = None
        self.faults = Faults()
        self.calls = CallCounter()
        self._server = make_server(host, port, None, threaded=True, request_handler=QuietRequestHandler)
        self.host, self.port = self._server.server_address[:2]
        self.endpoint_url = f"http://{self.host}:{self.port}"
        self.world = World(self.clock, self.faults, self.endpoint_url)
        self.load_balancers = LoadBalancers(self.world, host, listener_host, listener_ports)
        self.app = SandboxApp(self)
        self._server.app = self.app
        self._thread: threading.Thread | None = None
        self._ticker = None if manual_clock else Ticker(self._tick)
        if state_dir:
            self.state = StateStore(self, state_dir)
            self.state.load()
            self.state.start()

    def _tick(self) -> None:
        if self.world.run_due() and self.state is not None:
            self.state.mark_dirty()

    def reset(self) -> None:
        from moto.moto_api._internal.models import moto_api_backend

        with self.world.lock:
            moto_api_backend.reset()
            self.world.reset()
            self.load_balancers.reset()
            self.faults.clear()
            self.calls.clear()

    def start(self) -> "Sandbox":
        self._thread = threading.Thread(target=self._server.serve_forever, name="sandbox-http", daemon=True)
        self._thread.start()
        self.load_balancers.restore()  # needs the endpoint answering: it asks ELBv2 for the listeners
        if self._ticker:
            self._ticker.start()
        return self

    def serve_forever(self) -> None:
        threading.Thread(target=self.load_balancers.restore, name="sandbox-listeners-restore", daemon=True).start()
        if self._ticker:
            self._ticker.start()
        try:
            self._server.serve_forever()
        finally:
            self.stop()

    def stop(self) -> None:
        if self._ticker:
            self._ticker.stop()
        if self._thread is not None:
            self._server.shutdown()
            self._thread.join(timeout=5)
            self._thread = None
        self._server.server_close()
        self.load_balancers.stop()
        if self.state is not None:
            self.state.stop()
            self.state = None


def _not_before_now(moment):
    """The saved sandbox time, unless real time has gone past it while the sandbox was down."""
    from datetime import UTC, datetime

    now = datetime.now(UTC)
    return max(moment, now) if moment else None
