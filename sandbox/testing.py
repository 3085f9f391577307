"""Run the sandbox from tests: `with run_sandbox() as sb: ... sb.endpoint_url ... sb.advance(60)`.

`SandboxClient` (also named `SandboxControl`) talks to the control endpoint of any running sandbox (in-process or
`python -m sandbox`), so the same calls work against both; `SandboxClients` are plain boto3 clients on it, with the
default credentials (`testing`, moto's default account) or those of another account (`account_credentials`).
"""

import json
import urllib.error
import urllib.request
from contextlib import contextmanager
from functools import cache

import boto3
from botocore.config import Config


class SandboxControlError(RuntimeError):
    pass


class SandboxClient:
    def __init__(self, endpoint_url: str, timeout: float = 120):
        self.endpoint_url = endpoint_url.rstrip("/")
        self.timeout = timeout

    def _call(self, method: str, path: str, data: dict | None = None) -> dict:
        body = json.dumps(data).encode() if data is not None else None
        request = urllib.request.Request(  # noqa: S310 - the sandbox's own http URL
            f"{self.endpoint_url}/_sandbox/{path}",
            data=body,
            method=method,
            headers={"Content-Type": "application/json"},
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310 - local URL
                return json.loads(response.read() or b"{}")
        except urllib.error.HTTPError as exc:
            raise SandboxControlError(f"{method} /_sandbox/{path}: {exc.code} {exc.read().decode()}") from exc

    def health(self) -> dict:
        return self._call("GET", "health")

    def reset(self) -> dict:
        return self._call("POST", "reset")

    def advance(self, seconds: float) -> dict:
        """Move a manual clock forward; every transition due by then has happened when this returns."""
        return self._call("POST", "clock/advance", {"seconds": seconds})

    def set_fault(self, **spec) -> dict:
        """E.g. set_fault(kind="throttle", rate=1.0, service="codedeploy", operation="GetDeployment")."""
        return self._call("POST", "faults", spec)["fault"]

    def faults(self) -> list[dict]:
        return self._call("GET", "faults")["faults"]

    def clear_faults(self) -> None:
        self._call("DELETE", "faults")

    def configure(self, **settings) -> dict:
        """E.g. configure(role_propagation_seconds=30, list_deployments_page_size=2); answers all settings.
        A reset restores the defaults."""
        return self._call("POST", "settings", settings)["settings"]

    def settings(self) -> dict:
        return self._call("GET", "settings")["settings"]

    def calls(self, by_account: bool = False) -> dict:
        """AWS calls received since the last reset: {"codedeploy": {"GetDeployment": 3}, ...}; by_account:
        {"123456789012": {"codedeploy": {"GetDeployment": 3}}, ...} (the account each call came in as)."""
        return self._call("GET", "calls?by=account" if by_account else "calls")["calls"]

    def load_balancers(self) -> list[dict]:
        """Every load balancer with the local URL serving each listener: [{"account", "region", "load_balancer_name",
        "load_balancer_arn", "dns_name", "listeners": [{"listener_arn", "port", "protocol", "local_url"}]}]."""
        return self._call("GET", "load-balancers")

    def account_credentials(self, account_id: str) -> dict:
        """An administrator of that account (12 digits), made on first use: {"account_id", "access_key_id",
        "secret_access_key", "arn"}."""
        return self._call("POST", "accounts", {"account_id": account_id})


SandboxControl = SandboxClient


class RunningSandbox(SandboxClient):
    def __init__(self, sandbox):
        super().__init__(sandbox.endpoint_url)
        self.sandbox = sandbox

    def stop(self) -> None:
        if self.sandbox is not None:
            self.sandbox.stop()
            self.sandbox = None


@contextmanager
def run_sandbox(port: int = 0, manual_clock: bool = True, speed: float = 1.0, state_dir=None):
    """Start a sandbox in a background thread of this process (port 0 picks a free port).

    moto keeps its state per process, so run one sandbox per process at a time. With `state_dir` the state is
    loaded from there and saved there (see persistence.py); without it, it lives in memory only.
    """
    from sandbox.server import Sandbox

    sandbox = Sandbox(port=port, manual_clock=manual_clock, speed=speed, state_dir=state_dir).start()
    running = RunningSandbox(sandbox)
    try:
        yield running
    finally:
        running.stop()


@cache
def _boto3_session(region, access_key="testing", secret_key="testing", token=None):  # noqa: S107 - moto checks no secret
    return boto3.session.Session(
        aws_access_key_id=access_key, aws_secret_access_key=secret_key, aws_session_token=token, region_name=region
    )


class SandboxClients:
    """Plain boto3 clients on a sandbox (credentials `testing`), made on first use: aws.ecs, aws.codedeploy, ...;
    aws.sandbox is the sandbox itself (advance, reset, set_fault...). Clients are kept per endpoint, region and
    credentials for the whole process: making one costs a few tenths of a second. `credentials` may be
    `account_credentials(...)`'s answer or an AssumeRole answer's `Credentials`."""

    _kept: dict = {}  # (endpoint URL, region, access key) → {service name → client}

    def __init__(self, sandbox, region="us-east-1", credentials: dict | None = None):
        self.sandbox = sandbox
        self.endpoint_url = sandbox.endpoint_url
        self.region = region
        self._keys = _keys(credentials) if credentials else ("testing", "testing", None)
        self._clients = self._kept.setdefault((self.endpoint_url, region, self._keys[0]), {})

    def client(self, name, **config):
        """A new client with its own botocore settings, e.g. client("ecs", retries={"total_max_attempts": 1})."""
        settings = Config(**{"retries": {"max_attempts": 2, "mode": "standard"}, **config})
        return _boto3_session(self.region, *self._keys).client(name, endpoint_url=self.endpoint_url, config=settings)

    def __getattr__(self, name):
        if name.startswith("_"):
            raise AttributeError(name)
        if name not in self._clients:
            self._clients[name] = self.client(name)
        return self._clients[name]


def _keys(credentials: dict) -> tuple[str, str, str | None]:
    """(access key, secret key, session token) of control-route or STS credentials."""
    if "AccessKeyId" in credentials:
        return credentials["AccessKeyId"], credentials["SecretAccessKey"], credentials.get("SessionToken")
    return credentials["access_key_id"], credentials["secret_access_key"], None
