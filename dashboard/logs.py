"""Logging filters: routine background work is logged at DEBUG, so the terminal shows what matters."""

import logging

from django.conf import settings

# Tasks that beat runs every few seconds (every entry of its schedule, the optional apps' too) and the refreshes
# they queue; their "received" / "succeeded" / "sending" lines are noise at INFO.
ROUTINE_TASKS = frozenset(
    {
        "releases.tasks.poll_due",
        "releases.tasks.probe_idle",
        "releases.tasks.refresh",
        "dashboard.tasks.record_heartbeat",
        "dashboard.tasks.sweep_jobs",
        "notifications.tasks.deliver_due",
        "notifications.tasks.notify_of_deadlines",
        *(entry["task"] for entry in settings.OPTIONAL_BEAT_SCHEDULE.values()),
    }
)


def _task_name(record):
    args = record.args
    if isinstance(args, dict):  # celery.app.trace: "Task %(name)s[%(id)s] succeeded ..."
        return args.get("name")
    if isinstance(args, tuple) and args:  # the worker's "Task %s[%s] received", beat's "Sending due task %s (%s)"
        return next((arg for arg in args if isinstance(arg, str) and arg in ROUTINE_TASKS), args[0])
    return None


class RoutineTaskLines(logging.Filter):
    """Lets a routine task's INFO line through only when its logger is set to DEBUG."""

    def filter(self, record):
        if record.levelno > logging.INFO or _task_name(record) not in ROUTINE_TASKS:
            return True
        return logging.getLogger(record.name).isEnabledFor(logging.DEBUG)
