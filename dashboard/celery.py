import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dashboard.settings")

from django.conf import settings  # noqa: E402 - needs the settings module named first

app = Celery("dashboard")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.conf.beat_schedule = {
    "worker-heartbeat": {"task": "dashboard.tasks.record_heartbeat", "schedule": settings.WORKER_HEARTBEAT_SECONDS},
    # Jobs of every kind whose worker went away (lease ran out) or whose start was lost: queued again or timed out.
    "jobs-sweep": {"task": "dashboard.tasks.sweep_jobs", "schedule": settings.JOBS_SWEEP_SECONDS},
    # Release targets due for a refresh (every second while active, every minute when idle): releases/worker/polling.py.
    # Ticks of half a second: a due refresh waits for the next tick, and that wait is part of what a viewer sees.
    "releases-poll-due": {"task": "releases.tasks.poll_due", "schedule": 0.5},
    # Idle targets: one cheap call each, so that a new release is seen within seconds, not at the next refresh
    # (none for targets whose events arrive: manage.py listen_events makes them due at once).
    "releases-probe-idle": {"task": "releases.tasks.probe_idle", "schedule": settings.RELEASES_IDLE_PROBE_SECONDS},
    # Notifications: deliveries due again after a failed try, and waits that end soon (notifications/).
    "notifications-deliver-due": {"task": "notifications.tasks.deliver_due", "schedule": 5.0},
    "notifications-deadlines": {"task": "notifications.tasks.notify_of_deadlines", "schedule": 30.0},
    **settings.OPTIONAL_BEAT_SCHEDULE,
}
app.autodiscover_tasks()
