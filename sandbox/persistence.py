"""Keeping the sandbox's AWS across restarts: `python -m sandbox --state-dir var/sandbox`.

One file, `state.pickle`, holds moto's backends (every service and account in use) and the emulated world
(CodeCommit, CodeDeploy, CodePipeline, ECS blue/green services per account and region, the accounts' administrator
credentials, settings, faults, role ages, target registrations, listener ports, the clock). A file of format 1
(written before accounts) is loaded as the default account's. It is written after mutating requests and clock steps
(debounced, at most every `DEBOUNCE_SECONDS`) and at shutdown, to a temporary file renamed over the old one, so a
crash leaves the previous state whole. What pickle cannot hold as it is gets a plain form: locks are made anew, the
generators driving deployments and executions are rebuilt from their recorded state (`resume()`), so an in-flight
deployment or execution carries on where it was.

A file that cannot be read, or was written by another format or moto version, is moved aside
(`state.pickle.bad-<time>`), the sandbox starts empty and says so at ERROR level.

The file is a pickle: load only a state dir this sandbox wrote (it is a local test double, not a service).
A snapshot is consistent: it is taken holding the world's lock with moto's request gate closed (in-flight
moto requests finish first, new ones wait), see `MotoGate`.
"""

import logging
import os
import pickle
import threading
import time
import types
from datetime import UTC, datetime, timedelta
from pathlib import Path

import moto

from sandbox.wire import DEFAULT_ACCOUNT

log = logging.getLogger("sandbox")
FORMAT = 2
READABLE_FORMATS = (1, 2)
FILE_NAME = "state.pickle"
DEBOUNCE_SECONDS = 1.0
READ_PREFIXES = ("Get", "List", "Describe", "BatchGet", "Test", "Simulate", "Head", "Lookup", "Search")
_LOCK_TYPES = (type(threading.Lock()),)
_RLOCK_TYPES = (type(threading.RLock()),)
SKIPPED_BACKENDS = {"moto_api"}


def _none():
    return None


class StateError(Exception):
    pass


def is_read(operation: str) -> bool:
    return bool(operation) and operation.startswith(READ_PREFIXES)


class MotoGate:
    """Lets moto requests run concurrently, except while a snapshot is taken."""

    def __init__(self):
        self._cond = threading.Condition()
        self._inflight = 0
        self._closed = False

    def __enter__(self):
        with self._cond:
            while self._closed:
                self._cond.wait()
            self._inflight += 1

    def __exit__(self, *exc):
        with self._cond:
            self._inflight -= 1
            self._cond.notify_all()

    def closed(self):
        gate = self

        class _Closed:
            def __enter__(self):
                with gate._cond:
                    while gate._closed:
                        gate._cond.wait()
                    gate._closed = True
                    while gate._inflight:
                        gate._cond.wait()

            def __exit__(self, *exc):
                with gate._cond:
                    gate._closed = False
                    gate._cond.notify_all()

        return _Closed()


class _Pickler(pickle.Pickler):
    def __init__(self, file, world):
        super().__init__(file, protocol=pickle.HIGHEST_PROTOCOL)
        self.world = world
        from moto.iam.models import AWSManagedPolicy

        from sandbox.world import RegionState

        self._region_type, self._aws_policy_type = RegionState, AWSManagedPolicy

    def persistent_id(self, obj):
        if isinstance(obj, self._region_type):
            return ("region", obj.account, obj.name)
        if obj is self.world:
            return ("world",)
        if isinstance(obj, self._aws_policy_type):  # ~1,600 AWS managed policies: loaded afresh, not stored
            return ("aws-policy", obj.account_id, obj.arn)
        return None

    def reducer_override(self, obj):
        if isinstance(obj, _RLOCK_TYPES):
            return threading.RLock, ()
        if isinstance(obj, _LOCK_TYPES):
            return threading.Lock, ()
        if isinstance(obj, types.GeneratorType):  # rebuilt by resume()
            return _none, ()
        return NotImplemented


class _Unpickler(pickle.Unpickler):
    def __init__(self, file, world):
        super().__init__(file)
        self.world = world
        self._policies = {}

    def persistent_load(self, pid):
        kind = pid[0]
        if kind == "region":
            account, name = pid[1:] if len(pid) == 3 else (DEFAULT_ACCOUNT, pid[1])
            return self.world.region(account, name)
        if kind == "world":
            return self.world
        if kind == "aws-policy":
            _, account_id, arn = pid
            partition = arn.split(":")[1]  # one IAM backend per partition: aws, aws-cn, aws-us-gov, ...
            if (account_id, partition) not in self._policies:
                from moto.backends import get_backend

                fresh = get_backend("iam")[account_id][partition]
                self._policies[account_id, partition] = {p.arn: p for p in fresh.aws_managed_policies}
            policy = self._policies[account_id, partition].get(arn)
            if policy is None:
                raise StateError(f"the AWS managed policy {arn} is unknown to this moto")
            return policy
        raise StateError(f"unknown reference {pid!r} in the state file")


def _moto_backends() -> dict:
    from moto.core.base_backend import BackendDict

    out = {}
    for backend_dict in list(BackendDict._instances):
        if backend_dict.service_name in SKIPPED_BACKENDS:
            continue
        accounts = {}
        for account_id, regions in dict(backend_dict).items():
            accounts[account_id] = dict(dict.items(regions))
        out[backend_dict.service_name] = accounts
    return out


def _restore_moto(backends: dict) -> None:
    from moto.backends import get_backend

    for service, accounts in backends.items():
        backend_dict = get_backend(service)
        for account_id, regions in accounts.items():
            account_backend = backend_dict[account_id]
            for region, backend in regions.items():
                dict.__setitem__(account_backend, region, backend)


def _world_state(sandbox) -> dict:
    world = sandbox.world
    return {
        "regions": {
            key: {
                "codecommit": rs.codecommit,
                "codedeploy": rs.codedeploy,
                "codepipeline": rs.codepipeline,
                "ecs_native": rs.ecs_native,
            }
            for key, rs in world.regions.items()
        },
        "accounts": dict(world.accounts),
        "settings": world.settings.as_dict(),
        "roles": dict(world.roles._created),
        "faults": list(sandbox.faults._items),
        "targets": world.targets.state(),
        "load_balancers": sandbox.load_balancers.state(),
    }


def _clock_base(clock) -> datetime:
    """The clock's time without the `clock_offset_seconds` setting, which is restored with the settings."""
    return clock.now() - timedelta(seconds=getattr(clock, "offset_seconds", 0.0))


def _restore_world(sandbox, state: dict) -> None:
    import itertools

    from sandbox import deployments, ecs_deployments, pipeline_runs

    world = sandbox.world
    for key, parts in state["regions"].items():
        rs = world.region(*key) if isinstance(key, tuple) else world.region(DEFAULT_ACCOUNT, key)
        rs.codecommit, rs.codedeploy, rs.codepipeline = parts["codecommit"], parts["codedeploy"], parts["codepipeline"]
        if "ecs_native" in parts:  # a file written before ECS blue/green was emulated has none
            rs.ecs_native = parts["ecs_native"]
    from sandbox.settings import DEFAULTS

    world.settings.update({k: v for k, v in state["settings"].items() if k in DEFAULTS})
    world.roles._created.update(state["roles"])
    world.accounts.update(state.get("accounts", {}))
    world.targets.restore(state.get("targets", {}))
    sandbox.load_balancers.restore_state(state.get("load_balancers", {}))
    faults = state["faults"]
    sandbox.faults._items[:] = faults
    sandbox.faults._ids = itertools.count(max((f.id for f in faults), default=0) + 1)
    seqs = [0]
    for rs in world.regions.values():
        for process in rs.processes():
            process.resume()
            seqs.append(process.seq)
        for execution in rs.codepipeline.executions.values():
            seqs.extend(run.seq for run in execution.actions)
    start = max(seqs) + 1
    deployments._seq = itertools.count(start)
    ecs_deployments._seq = itertools.count(start)
    pipeline_runs._seq = itertools.count(start)


def read_clock(state_dir) -> datetime | None:
    """The sandbox time the state file was written at (the clock goes on from there, never backwards)."""
    path = Path(state_dir) / FILE_NAME
    try:
        with path.open("rb") as handle:
            header = pickle.load(handle)  # noqa: S301 - the sandbox's own file in its own state dir
    except (OSError, EOFError, pickle.UnpicklingError, ValueError, TypeError):
        return None
    return header.get("clock") if isinstance(header, dict) else None


class StateStore:
    """Saves the sandbox to `state_dir` and loads it back."""

    def __init__(self, sandbox, state_dir):
        self.sandbox = sandbox
        self.dir = Path(state_dir)
        self.path = self.dir / FILE_NAME
        self.gate = MotoGate()
        self._dirty = threading.Event()
        self._stopping = threading.Event()
        self._save_lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self.saves = 0

    # ---- saving ------------------------------------------------------------------------------

    def mark_dirty(self) -> None:
        self._dirty.set()

    def save(self) -> None:
        with self._save_lock:
            self.dir.mkdir(parents=True, exist_ok=True)
            with self.sandbox.world.lock, self.gate.closed():
                header = {"format": FORMAT, "moto": moto.__version__, "clock": _clock_base(self.sandbox.clock)}
                tmp = self.path.with_name(f"{FILE_NAME}.tmp-{os.getpid()}")
                with tmp.open("wb") as handle:
                    pickle.dump(header, handle, protocol=pickle.HIGHEST_PROTOCOL)
                    _Pickler(handle, self.sandbox.world).dump(
                        {"moto": _moto_backends(), "world": _world_state(self.sandbox)}
                    )
                    handle.flush()
                    os.fsync(handle.fileno())
            os.replace(tmp, self.path)
            self.saves += 1

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="sandbox-state", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stopping.is_set():
            if not self._dirty.wait(0.2):
                continue
            if self._stopping.wait(DEBOUNCE_SECONDS):
                break
            self._dirty.clear()
            try:
                self.save()
            except Exception:  # noqa: BLE001 - keep serving; the next change tries again
                log.exception("could not save the sandbox state to %s", self.path)
                self._dirty.set()
                time.sleep(1)

    def stop(self) -> None:
        """Stop the background saver and write the state one last time."""
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None
        self.save()

    # ---- loading -----------------------------------------------------------------------------

    def load(self) -> bool:
        """Restore the state file if there is one; True when something was restored."""
        if not self.path.exists():
            return False
        try:
            with self.path.open("rb") as handle:
                header = pickle.load(handle)  # noqa: S301 - the sandbox's own file in its own state dir
                if not isinstance(header, dict) or header.get("format") not in READABLE_FORMATS:
                    raise StateError(f"format {header.get('format') if isinstance(header, dict) else '?'}")
                if header.get("moto") != moto.__version__:
                    raise StateError(f"written with moto {header.get('moto')}, this is moto {moto.__version__}")
                data = _Unpickler(handle, self.sandbox.world).load()
            with self.sandbox.world.lock:
                _restore_moto(data["moto"])
                _restore_world(self.sandbox, data["world"])
        except Exception as exc:  # noqa: BLE001 - any unreadable state: start empty, loudly, keep the file
            aside = self.path.with_name(f"{FILE_NAME}.bad-{datetime.now(UTC):%Y%m%dT%H%M%S}")
            os.replace(self.path, aside)
            self.sandbox.reset()
            log.error(
                "SANDBOX STATE NOT RESTORED: %s could not be loaded (%s: %s). The sandbox starts EMPTY; "
                "the file was kept as %s.",
                self.path,
                type(exc).__name__,
                exc,
                aside,
            )
            return False
        log.warning("sandbox state restored from %s (saved at sandbox time %s)", self.path, header.get("clock"))
        return True
