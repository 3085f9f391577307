"""All emulated state (CodeCommit, CodeDeploy, CodePipeline per region) and the scheduler
that moves deployments and pipeline executions along the sandbox clock."""

import threading
from datetime import datetime

from sandbox.aws import Clients, RegionAws
from sandbox.clock import Clock
from sandbox.faults import Faults
from sandbox.propagation import RoleAges
from sandbox.settings import Settings

MAX_STEPS_PER_RUN = 200_000


class RegionState:
    def __init__(self, world: "World", name: str):
        from sandbox.codecommit import CodeCommitState
        from sandbox.codedeploy import CodeDeployState
        from sandbox.codepipeline import CodePipelineState
        from sandbox.state_events import Announcer

        self.world = world
        self.name = name
        self.aws = RegionAws(world.clients, name)
        self.codecommit = CodeCommitState()
        self.codedeploy = CodeDeployState()
        self.codepipeline = CodePipelineState()
        self.announcer = Announcer()  # the state-change events published to EventBridge (state_events.py)

    def now(self) -> datetime:
        return self.world.clock.now()

    def processes(self):
        """Everything that may have a `wake_at`: deployments and pipeline executions."""
        yield from self.codedeploy.deployments.values()
        yield from self.codepipeline.executions.values()


class World:
    def __init__(self, clock: Clock, faults: Faults, endpoint_url: str):
        self.clock = clock
        self.faults = faults
        self.settings = Settings(clock)
        self.roles = RoleAges()
        self.clients = Clients(endpoint_url)
        self.lock = threading.RLock()
        self.regions: dict[str, RegionState] = {}
        self.apis: dict[str, object] = {}  # emulated service APIs by boto3 name, for service-to-service calls
        self._run_lock = threading.Lock()

    def region(self, name: str) -> RegionState:
        with self.lock:
            if name not in self.regions:
                self.regions[name] = RegionState(self, name)
            return self.regions[name]

    def reset(self) -> None:
        with self.lock:
            self.regions = {}
            self.settings.reset()
            self.roles.clear()

    def run_due(self, until: datetime | None = None) -> int:
        """Run every transition due up to `until` (default: now), earliest first.

        On a manual clock the clock is moved to each transition's time before it runs, so
        timestamps are exact and the outcome does not depend on how far one advances at once.
        """
        steps = 0
        with self._run_lock:
            with self.lock:  # what API calls changed since the last run
                for rs in list(self.regions.values()):
                    rs.announcer.announce(rs)
            while steps < MAX_STEPS_PER_RUN:
                with self.lock:
                    limit = until or self.clock.now()
                    due = [
                        p
                        for rs in self.regions.values()
                        for p in rs.processes()
                        if p.wake_at is not None and p.wake_at <= limit
                    ]
                    if not due:
                        break
                    process = min(due, key=lambda p: (p.wake_at, p.seq))
                    if self.clock.manual:
                        self.clock.set(process.wake_at)
                    process.wake()
                    process.rs.announcer.announce(process.rs)
                steps += 1
            if until is not None and self.clock.manual:
                self.clock.set(until)
        return steps

    def advance(self, seconds: float) -> int:
        from datetime import timedelta

        if not self.clock.manual:
            raise RuntimeError("advance needs a manual clock (start the sandbox with --manual-clock)")
        return self.run_due(self.clock.now() + timedelta(seconds=seconds))

    def on_image_pushed(self, region: str, repository: str, tag: str | None, digest: str | None) -> None:
        from sandbox.triggers import image_pushed

        with self.lock:
            image_pushed(self.region(region), repository, tag, digest)

    def on_reference_changed(self, region: str, repository, branch: str, commit_id: str, old: str | None) -> None:
        from sandbox.triggers import reference_changed

        with self.lock:
            reference_changed(self.region(region), repository, branch, commit_id, old)

    def deployment_finished(self, region: str, deployment_id: str) -> None:
        """Wake the pipeline actions that follow this deployment."""
        from sandbox.codepipeline import deployment_finished

        with self.lock:
            deployment_finished(self.region(region), deployment_id)
