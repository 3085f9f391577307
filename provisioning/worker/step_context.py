"""What a step function gets: AWS calls on the setup's connection, a checklist of resumable sub-actions,
and find-or-create that records every resource in the inventory."""

from dataclasses import dataclass

from django.conf import settings

from dashboard import aws
from provisioning import names
from provisioning.models import Resource


def poll_seconds():
    return settings.PROVISIONING_POLL_SECONDS


class Waiting(Exception):
    """The step cannot go on yet (an image to arrive, a release to finish): look again in `seconds`."""

    def __init__(self, message, *, seconds=None, give_up_after=3600):
        super().__init__(message)
        self.message = message
        self.seconds = poll_seconds() if seconds is None else seconds
        self.give_up_after = give_up_after  # seconds, or None to wait as long as it takes


class StepError(Exception):
    """A failure found by the wizard itself rather than answered by AWS; shown like an AWS error."""

    request_id = ""

    def __init__(self, code, message):
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


@dataclass(frozen=True)
class Action:
    key: str
    label: str


@dataclass(frozen=True)
class Change:
    """A field the wizard owns, as AWS has it and as the form says: made by a re-run, or shown as drift."""

    thing: str  # "deployment group shop-dg"
    what: str  # "reroute"
    aws: object
    wanted: object

    def __str__(self):
        return f"Changed {self.thing}: {self.what} from {self.aws} to {self.wanted}"

    def as_drift(self):
        return {"what": self.what, "aws": str(self.aws), "wanted": str(self.wanted)}


class CannotChangeInPlace(StepError):
    """AWS cannot change what the form asks for on the existing resource: say so, and what can be done."""

    def __init__(self, thing, changes, remedy):
        wanted = "; ".join(f"{c.what} is {c.aws}, the form says {c.wanted}" for c in changes)
        super().__init__("CannotChangeInPlace", f"AWS cannot change {thing} in place ({wanted}). {remedy}")


class AdoptedDiffers(StepError):
    """A resource the wizard found but did not make differs from the form: it is never changed silently."""

    def __init__(self, thing, changes):
        wanted = "; ".join(f"{c.what} is {c.aws}, the form says {c.wanted}" for c in changes)
        super().__init__(
            "AdoptedDiffers",
            f"{thing[0].upper()}{thing[1:]} was not made by the wizard, so it is not changed, and it differs from "
            f"the form: {wanted}. Change it yourself in AWS, put the form back to what AWS has, or enter a name "
            "that does not exist yet so the wizard makes its own.",
        )


# Kinds AWS has no rename for (the step makes at most one of each): a new name is a new resource.
NOT_RENAMEABLE = {
    "ecr.repository": "the ECR repository",
    "ecs.cluster": "the cluster",
    "ecs.service": "the service",
    "elbv2.load-balancer": "the load balancer",
    "codepipeline.pipeline": "the pipeline",
    "events.rule": "the EventBridge rule",
}


def _tag_ecs(ctx, name, arn):
    ctx.call("ecs", "tag_resource", resourceArn=arn, tags=ctx.tags("key"))


def _tag_role(ctx, name, arn):
    ctx.call("iam", "tag_role", RoleName=name, Tags=ctx.tags())


RETAG = {"ecs.cluster": _tag_ecs, "ecs.service": _tag_ecs, "iam.role": _tag_role}


class Context:
    def __init__(self, run, owners, report=None):
        self.run = run
        self.owners = owners  # output key → the step that declares it (provisioning.worker.steps.OWNER_OF_OUTPUT)
        self.setup = run.setup
        self.config = run.setup.config
        self.report = report or (lambda action: None)  # told of each sub-action done
        self.adopted = []
        self._current = None  # the sub-action being done

    @property
    def name(self):
        return self.setup.name

    @property
    def outputs(self):
        """What every step found or made, by key (read-only); this step writes its own through do()."""
        return self.setup.outputs

    # AWS ------------------------------------------------------------------------------------------------

    def call(self, service, operation, /, **params):
        self.run.heartbeat()
        return aws.call(service, operation, self.setup.connection(), **params)

    def paginate(self, service, operation, key, /, **params):
        self.run.heartbeat()
        return aws.paginate(service, operation, key, self.setup.connection(), **params)

    def find(self, missing_codes, service, operation, /, **params):
        """The answer, or None when AWS says the thing does not exist (one of `missing_codes`)."""
        try:
            return self.call(service, operation, **params)
        except aws.AwsError as error:
            if error.code in missing_codes:
                return None
            raise

    def tags(self, style="Key"):
        """The tag the wizard puts on everything it creates, in the shape each API wants."""
        if style == "map":
            return {names.TAG_KEY: self.name}
        if style == "key":
            return [{"key": names.TAG_KEY, "value": self.name}]
        return [{"Key": names.TAG_KEY, "Value": self.name}]

    def tagged_ours(self, tags):
        if isinstance(tags, dict):
            return tags.get(names.TAG_KEY) == self.name
        return any(
            (tag.get("Key") or tag.get("key")) == names.TAG_KEY and (tag.get("Value") or tag.get("value")) == self.name
            for tag in tags or []
        )

    # The checklist --------------------------------------------------------------------------------------

    def do(self, key, work):
        """Run one sub-action unless this run already did it; its result's keys (but `detail`) become outputs."""
        action = self.run.action(key)
        if action["status"] == "done":
            return action.get("result", {})
        self.run.set_action(key, status="running", detail="")
        self._current = key
        try:
            result = dict(work() or {})
        except Waiting as waiting:
            action.update(status="waiting", detail=waiting.message)
            raise
        except Exception as error:
            code = getattr(error, "code", type(error).__name__)
            action.update(status="failed", detail=f"{code}: {getattr(error, 'message', error)}")
            raise
        detail = result.pop("detail", "")
        self.setup.save_outputs(self.run.step, self.owners, **result)
        action.update(status="done", detail=detail, result=result)
        self.run.save_progress()
        self.report(action)
        return result

    def save_outputs_now(self, **values):
        """Outputs a sub-action needs kept even if it then waits (its result is saved only when it is done)."""
        self.setup.save_outputs(self.run.step, self.owners, **values)

    def record_changes(self, changes):
        """Show each change a re-run made, as a done sub-action right after the one that made it."""
        if not changes:
            return
        actions = self.run.actions
        position = actions.index(self.run.action(self._current)) + 1
        while position < len(actions) and actions[position]["key"].startswith(f"{self._current}:change:"):
            position += 1
        made = [a for a in actions if a["key"].startswith(f"{self._current}:change:")]
        for number, change in enumerate(changes, start=len(made) + 1):  # a Change, or a note in words
            entry = {"key": f"{self._current}:change:{number}", "label": str(change), "status": "done", "detail": ""}
            actions.insert(position, entry)
            position += 1
        self.run.save_actions()

    def bring_in_line(self, found, changes, *, thing, apply):
        """After ensure() found a resource: change what differs from the form when it is ours (apply(changes)),
        refuse when it is adopted. Returns the sub-action's detail."""
        if not changes or found["detail"] == "created":
            return found["detail"]
        if not found["owned"]:
            raise AdoptedDiffers(thing, changes)
        apply(changes)
        self.record_changes(changes)
        return f"already there (ours); brought in line with the form ({len(changes)} change{'s' * (len(changes) > 1)})"

    # The inventory --------------------------------------------------------------------------------------

    def ensure(self, kind, name, *, find, create):
        """Adopt the resource named `name` when `find()` sees it, else `create()` it; both return at least arn.

        The intent is recorded before the create call, so a worker that dies right after it can tell on
        its next attempt that what it finds is its own.
        """
        found = find()
        if found is not None:
            owned = self._ours(kind, name, found.get("tags"))
            self._record(kind, name, arn=found["arn"], owned=owned, state=Resource.PRESENT)
            if not owned:
                self.adopted.append({"type": kind, "name": name, "arn": found["arn"]})
            else:
                self._retag(kind, name, found)
            detail = "already there (ours)" if owned else "already there, adopted"
            return {**found, "owned": owned, "detail": detail}
        renamed = self._renamed_from(kind, name)
        self._record(kind, name, arn="", owned=True, state=Resource.CREATING, run=self.run)
        made = create()
        self._record(kind, name, arn=made["arn"], owned=True, state=Resource.PRESENT)
        if renamed:
            self.record_changes(
                [
                    f"AWS cannot rename {NOT_RENAMEABLE[kind]} {renamed}: {name} was made as a new one, and "
                    f"{renamed} is kept as it is, still in the inventory (Teardown deletes it; to keep the old name, "
                    "put it back in the form and run the step again)."
                ]
            )
        return {**made, "owned": True, "detail": "created"}

    def _retag(self, kind, name, found):
        """Put the wizard's tag back on a resource of ours that lost it (when its find() could read the tags)."""
        if kind not in RETAG or found.get("tags") is None or self.tagged_ours(found["tags"]):
            return
        RETAG[kind](self, name, found["arn"])
        self.record_changes([Change(f"{kind} {name}", f"tag {names.TAG_KEY}", "(none)", self.name)])

    def _renamed_from(self, kind, name):
        """The name this step's resource had before the form changed it, for what AWS cannot rename."""
        if kind not in NOT_RENAMEABLE:
            return None
        before = Resource.objects.filter(setup=self.setup, kind=kind, step=self.run.step, owned=True)
        before = before.filter(state=Resource.PRESENT).exclude(name=name).values_list("name", flat=True)
        return before.last()

    def _ours(self, kind, name, tags):
        if self.tagged_ours(tags):
            return True
        row = Resource.objects.filter(setup=self.setup, kind=kind, name=name).first()
        return bool(row and row.owned and row.state != Resource.DELETED)

    def _record(self, kind, name, **values):
        """The inventory row; `run` is given only by the run that creates the resource."""
        Resource.objects.update_or_create(
            setup=self.setup, kind=kind, name=name, defaults={"step": self.run.step, **values}
        )
