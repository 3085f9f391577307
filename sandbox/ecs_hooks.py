"""The lifecycle hooks of an ECS service deployment (ECS developer guide, "Lambda hooks for Amazon ECS service
deployments" and "Pause hooks for Amazon ECS service deployments"; botocore's DeploymentLifecycleHook and
DeploymentLifecycleHookDetail).

The sandbox runs no Lambda function: a Lambda hook answers SUCCEEDED a (step) second after it is invoked, unless an
`ecs_hook` fault says FAILED or IN_PROGRESS; IN_PROGRESS invokes it again after 30 s (the documented default
callBackDelay), until the hook's timeout. A PAUSE hook waits, AWAITING_ACTION, for ContinueServiceDeployment.
"""

import secrets
from datetime import timedelta

from sandbox.api import AwsErrorResponse
from sandbox.faults import ECS_HOOK_OUTCOMES

CALLBACK_SECONDS = 30  # IN_PROGRESS: invoked again after this (the guide's default callBackDelay)
INVOKE_SECONDS = 1  # a Lambda hook's answer arrives this many (step) seconds after it is invoked
DEFAULT_TIMEOUT_MINUTES = 1440  # DeploymentLifecycleHookTimeoutConfiguration's defaults
DEFAULT_TIMEOUT_ACTION = "ROLLBACK"
WAITING = ("IN_PROGRESS", "AWAITING_ACTION")


class Failure(Exception):
    """The deployment failed: `kind` is circuit_breaker, alarms, hook or error; `rollback`: whether to roll back."""

    def __init__(self, kind: str, reason: str, rollback: bool):
        super().__init__(reason)
        self.kind, self.reason, self.rollback = kind, reason, rollback


class HookFailed(Failure):
    def __init__(self, reason: str):
        super().__init__("hook", reason, rollback=True)


class Hooks:
    """The hook invocations of one deployment, in the order they happened (its lifecycleHookDetails)."""

    def __init__(self, deployment):
        self.deployment = deployment
        self.invocations: list[dict] = []

    def configured(self, stage: str) -> list[dict]:
        hooks = self.deployment.config.get("lifecycleHooks") or []
        return [h for h in hooks if stage in (h.get("lifecycleStages") or [])]

    def run(self, stage: str, step: int = 0, rollback: bool = False):
        """Invoke the stage's hooks one after the other; each must succeed (or time out with CONTINUE)."""
        d = self.deployment
        for index, hook in enumerate(self.configured(stage)):
            key = f"{stage}:{step}:{index}"
            invocation = next((i for i in self.invocations if i["_key"] == key), None) or self._start(key, hook)
            while invocation["status"] in WAITING:
                if d.now >= invocation["expiresAt"]:
                    invocation["status"] = "TIMED_OUT"
                    d._touch()
                    break
                if invocation["targetType"] != "PAUSE" and d.now >= invocation["_next"]:
                    self._answer(invocation, stage)
                    continue
                d.watch()
                wake = invocation["expiresAt"] if invocation["targetType"] == "PAUSE" else invocation["_next"]
                yield d.next_look(min(wake, invocation["expiresAt"]))
            self._outcome(invocation, stage)

    def _start(self, key: str, hook: dict) -> dict:
        d = self.deployment
        pause = hook.get("targetType") == "PAUSE"
        timeout = hook.get("timeoutConfiguration") or {}
        invocation = {
            "_key": key,
            "hookId": f"ecs-{'pause' if pause else 'lambda'}-{secrets.token_urlsafe(32)}",
            "targetType": "PAUSE" if pause else "AWS_LAMBDA",
            "targetArn": None if pause else hook.get("hookTargetArn"),
            "status": "AWAITING_ACTION" if pause else "IN_PROGRESS",
            "expiresAt": d.now + timedelta(minutes=int(timeout.get("timeoutInMinutes", DEFAULT_TIMEOUT_MINUTES))),
            "timeoutAction": timeout.get("action", DEFAULT_TIMEOUT_ACTION),
            "_next": d.now + timedelta(seconds=d.rs.world.settings.step_seconds(INVOKE_SECONDS)),
            "_continued": None,
        }
        self.invocations.append(invocation)
        d._touch()
        return invocation

    def _answer(self, invocation: dict, stage: str) -> None:
        """What the Lambda function answered this time: SUCCEEDED unless an ecs_hook fault says otherwise."""
        d = self.deployment
        fault = d.rs.world.faults.take_ecs("ecs_hook", d.service_name, stage)
        status = ECS_HOOK_OUTCOMES[fault.outcome] if fault else "SUCCEEDED"
        invocation["status"] = status
        invocation["_next"] = d.now + timedelta(seconds=CALLBACK_SECONDS)
        d._touch()

    def _outcome(self, invocation: dict, stage: str) -> None:
        name = invocation["targetArn"] or invocation["hookId"]
        if invocation["status"] == "FAILED":
            if invocation["_continued"] == "ROLLBACK":
                raise HookFailed(f"The lifecycle hook {name} at {stage} was continued with the action ROLLBACK.")
            raise HookFailed(f"The lifecycle hook {name} failed at {stage}.")
        if invocation["status"] == "TIMED_OUT" and invocation["timeoutAction"] == "ROLLBACK":
            raise HookFailed(f"The lifecycle hook {name} timed out at {stage}.")

    def continue_(self, hook_id: str, action: str) -> None:
        d = self.deployment
        invocation = next((i for i in self.invocations if i["hookId"] == hook_id), None)
        if invocation is None:
            raise AwsErrorResponse(
                "InvalidParameterException", f"The hook {hook_id} is not a hook of the service deployment {d.arn}."
            )
        if invocation["status"] != "AWAITING_ACTION" or d.status != "IN_PROGRESS":
            raise AwsErrorResponse(
                "ClientException",
                f"The hook {hook_id} is {invocation['status']} and the service deployment {d.status}: only a hook "
                "in AWAITING_ACTION of an IN_PROGRESS service deployment can be continued.",
            )
        invocation["_continued"] = action
        invocation["status"] = "SUCCEEDED" if action == "CONTINUE" else "FAILED"
        d._touch()
        d.poke()

    def details(self) -> list[dict]:
        return [{k: v for k, v in i.items() if not k.startswith("_")} for i in self.invocations]
