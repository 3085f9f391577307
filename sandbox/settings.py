"""Settings a test can change through `POST /_sandbox/settings`; `POST /_sandbox/reset` restores them."""

import threading

# name -> (default, minimum, maximum); each a number of sandbox seconds or items.
DEFAULTS = {
    # AWS documents no page size for ListDeployments (no maxResults parameter); 100 is our choice.
    "list_deployments_page_size": (100, 1, 1000),
    # IAM eventual consistency: a role younger than this is refused by the services that assume it.
    "role_propagation_seconds": (0.0, 0, 86400),
    # AWS's clock differs from its clients' (by seconds on real AWS): the sandbox clock is this far ahead (or,
    # negative, behind) of the real one, in its answers' times and Date header alike.
    "clock_offset_seconds": (0.0, -86400, 86400),
    # The sandbox's own step durations (a deployment's lifecycle events, a pipeline action's start) are multiplied by
    # this, so that a test on a real-time sandbox spends its time in the waits it checks; the waits AWS is configured
    # with (ready wait, termination wait, traffic shifts) and the deployment_hold fault's seconds are not.
    "step_time_factor": (1.0, 0.01, 10),
}


class SettingsError(ValueError):
    pass


class Settings:
    def __init__(self, clock=None):
        self._lock = threading.Lock()
        self._clock = clock  # keeps its offset in line with `clock_offset_seconds`
        self._values = {name: default for name, (default, _, _) in DEFAULTS.items()}

    def __getattr__(self, name):
        if name.startswith("_") or name not in DEFAULTS:
            raise AttributeError(name)
        with self._lock:
            return self._values[name]

    def as_dict(self) -> dict:
        with self._lock:
            return dict(self._values)

    def update(self, changes: dict) -> dict:
        unknown = set(changes) - set(DEFAULTS)
        if unknown:
            raise SettingsError(f"unknown settings: {', '.join(sorted(unknown))} (known: {', '.join(DEFAULTS)})")
        clean = {}
        for name, value in changes.items():
            default, low, high = DEFAULTS[name]
            if isinstance(value, bool) or not isinstance(value, int | float) or not low <= value <= high:
                raise SettingsError(f"{name} must be a number from {low} to {high}")
            clean[name] = type(default)(value)
        with self._lock:
            self._values.update(clean)
            self._apply()
            return dict(self._values)

    def step_seconds(self, seconds: float) -> float:
        """How long a step that usually takes `seconds` sandbox seconds takes now (`step_time_factor`)."""
        return seconds * self.step_time_factor

    def reset(self) -> None:
        with self._lock:
            self._values = {name: default for name, (default, _, _) in DEFAULTS.items()}
            self._apply()

    def _apply(self) -> None:
        if self._clock is not None:
            self._clock.offset_seconds = self._values["clock_offset_seconds"]
