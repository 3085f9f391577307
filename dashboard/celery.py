import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dashboard.settings")

app = Celery("dashboard")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.conf.beat_schedule = {
    "worker-heartbeat": {"task": "dashboard.tasks.record_heartbeat", "schedule": 15.0},
    # Setup steps whose worker went away (lease ran out) or whose wake-up was lost are queued again.
    "provisioning-sweep": {"task": "provisioning.tasks.sweep", "schedule": 30.0},
    # Release targets due for a refresh (every 2 s while active, every minute when idle): see releases/polling.py.
    "releases-poll-due": {"task": "releases.tasks.poll_due", "schedule": 1.0},
}
app.autodiscover_tasks()
