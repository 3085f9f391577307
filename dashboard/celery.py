import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dashboard.settings")

app = Celery("dashboard")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.conf.beat_schedule = {
    "worker-heartbeat": {"task": "dashboard.tasks.record_heartbeat", "schedule": 15.0},
}
app.autodiscover_tasks()
