import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dashboard.settings")

from django.conf import settings  # noqa: E402 - needs the settings module named first

app = Celery("dashboard")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.conf.beat_schedule = {
    "worker-heartbeat": {"task": "dashboard.tasks.record_heartbeat", "schedule": 15.0},
    # Setup steps whose worker went away (lease ran out) or whose wake-up was lost are queued again.
    "provisioning-sweep": {"task": "provisioning.tasks.sweep", "schedule": 30.0},
    # Release targets due for a refresh (every 1.5 s while active, every minute when idle): see releases/polling.py.
    # Ticks of half a second: a due refresh waits for the next tick, and that wait is part of what a viewer sees.
    "releases-poll-due": {"task": "releases.tasks.poll_due", "schedule": 0.5},
    # Idle targets: one cheap call each, so that a new release is seen within seconds, not at the next refresh.
    "releases-probe-idle": {"task": "releases.tasks.probe_idle", "schedule": settings.RELEASES_IDLE_PROBE_SECONDS},
}
app.autodiscover_tasks()
