"""All emulated state (CodeCommit, CodeDeploy, CodePipeline per account and region) and the scheduler
that moves deployments and pipeline executions along the sandbox clock."""

import threading
from datetime import datetime

from sandbox.aws import Clients, RegionAws
from sandbox.clock import Clock
from sandbox.faults import Faults
from sandbox.propagation import RoleAges
from sandbox.settings import Settings
from sandbox.target_health import TargetLog

MAX_STEPS_PER_RUN = 200_000


class RegionState:
    """One account's emulated services in one region."""

    def __init__(self, world: "World", account: str, name: str):
        from sandbox.codecommit import CodeCommitState
        from sandbox.codedeploy import CodeDeployState
        from sandbox.codepipeline import CodePipelineState
        from sandbox.ecs_native import EcsNativeState
        from sandbox.state_events import Announcer

        self.world = world
        self.account = account
        self.name = name
        self.aws = RegionAws(world.clients, name, account)
        self.codecommit = CodeCommitState()
        self.codedeploy = CodeDeployState()
        self.codepipeline = CodePipelineState()
        self.ecs_native = EcsNativeState()
        self.announcer = Announcer()  # the state-change events published to EventBridge (state_events.py)

    def now(self) -> datetime:
        return self.world.clock.now()

    def processes(self):
        """Everything that may have a `wake_at`: deployments, their alarm polls, ECS service deployments and pipeline
        executions."""
        from sandbox.alarms import polls

        yield from self.codedeploy.deployments.values()
        yield from polls(self.codedeploy.deployments.values())
        yield from list(self.ecs_native.deployments.values())
        yield from self.codepipeline.executions.values()


class World:
    def __init__(self, clock: Clock, faults: Faults, endpoint_url: str):
        self.clock = clock
        self.faults = faults
        self.settings = Settings(clock)
        self.roles = RoleAges()
        self.targets = TargetLog()  # when ECS registered targets with load balancers (target_health.py)
        self.clients = Clients(endpoint_url)
        self.lock = threading.RLock()
        self.regions: dict[tuple[str, str], RegionState] = {}  # by (account, region)
        self.accounts: dict[str, dict] = {}  # administrator credentials by account (accounts.py)
        self.apis: dict[str, object] = {}  # emulated service APIs by boto3 name, for service-to-service calls
        self._run_lock = threading.Lock()

    def region(self, account: str, name: str) -> RegionState:
        with self.lock:
            if (account, name) not in self.regions:
                self.regions[account, name] = RegionState(self, account, name)
            return self.regions[account, name]

    def reset(self) -> None:
        with self.lock:
            self.regions = {}
            self.accounts = {}
            self.settings.reset()
            self.roles.clear()
            self.targets.clear()

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

    def on_image_pushed(self, account: str, region: str, repository: str, tag: str | None, digest: str | None):
        from sandbox.triggers import image_pushed

        with self.lock:
            image_pushed(self.region(account, region), repository, tag, digest)

    def on_reference_changed(self, rs: RegionState, repository, branch: str, commit_id: str, old: str | None):
        from sandbox.triggers import reference_changed

        with self.lock:
            reference_changed(rs, repository, branch, commit_id, old)

    def service_deployment_finished(self, rs: RegionState, arn: str) -> None:
        """Wake the pipeline actions that follow this ECS service deployment."""
        with self.lock:
            for execution in rs.codepipeline.executions.values():
                execution.service_deployment_finished(arn)

    def deployment_finished(self, rs: RegionState, deployment_id: str) -> None:
        """Wake the pipeline actions that follow this deployment."""
        from sandbox.codepipeline import deployment_finished

        with self.lock:
            deployment_finished(rs, deployment_id)
