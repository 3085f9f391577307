"""What a step function gets: AWS calls on the setup's connection, a checklist of resumable sub-actions,
and find-or-create that records every resource in the inventory."""

from dataclasses import dataclass

from django.conf import settings

from dashboard import aws

from .. import names
from ..models import Resource


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


class Context:
    def __init__(self, run, report=None):
        self.run = run
        self.setup = run.setup
        self.config = run.setup.config
        self.outputs = run.setup.outputs
        self.report = report or (lambda action: None)  # told of each sub-action done
        self.adopted = []

    @property
    def name(self):
        return self.setup.name

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
        self.setup.save_outputs(**result)
        action.update(status="done", detail=detail, result=result)
        self.run.save_progress()
        self.report(action)
        return result

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
            detail = "already there (ours)" if owned else "already there, adopted"
            return {**found, "owned": owned, "detail": detail}
        self._record(kind, name, arn="", owned=True, state=Resource.CREATING, run=self.run)
        made = create()
        self._record(kind, name, arn=made["arn"], owned=True, state=Resource.PRESENT)
        return {**made, "owned": True, "detail": "created"}

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
