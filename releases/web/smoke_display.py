"""What the console shows of a target's smoke checks and of its deployment group's CloudWatch alarms, read from the
database only."""

from releases import smoke

PHASE_TITLES = {smoke.TEST: "On the test listener", smoke.PRODUCTION: "On production"}
ALARM_CLASSES = {"OK": "ok", "ALARM": "bad", "INSUFFICIENT_DATA": "busy"}


def smoke_checks(target, deployment):
    """The settings in short, the runs of the deployment shown (attempt by attempt), and why Reroute waits."""
    settings = smoke.settings_of(target)
    runs = smoke.runs_of(target, deployment)
    phases = []
    if settings is not None:
        phases = [
            {"title": title, "url": settings.url_for(phase), "policy": settings.policy_text(phase)}
            for phase, title in PHASE_TITLES.items()
        ]
    return {
        "settings": settings,
        "phases": phases,
        "runs": [run_shown(runs[phase]) for phase in PHASE_TITLES if phase in runs],
        "reroute_block": smoke.reroute_block(target, settings),
    }


def run_shown(run):
    attempts = []
    for number, result in enumerate(run.results, start=1):
        check = run.checks[result["check"]]
        nth = sum(1 for earlier in run.results[:number] if earlier["check"] == result["check"])
        attempts.append({**result, "number": number, "nth": nth, "count": check["count"], "path": check["path"]})
    return {
        "run": run,
        "title": PHASE_TITLES[run.phase],
        "attempts": attempts,
        "planned": len(run.planned),
    }


def alarms(target):
    """The group's alarms with their states, and what AWS does on ALARM; None when the group has none."""
    config = target.alarm_configuration or {}
    if not config.get("names") and not target.alarms_error:
        return None
    states = {state["name"]: state for state in target.alarm_states}
    rows = []
    for name in config.get("names") or []:
        state = states.get(name) or {"state": "", "reason": "not read yet"}
        rows.append({"name": name, **state, "class": ALARM_CLASSES.get(state["state"], "")})
    return {**config, "rows": rows, "error": target.alarms_error, "read_at": target.alarms_read_at}
