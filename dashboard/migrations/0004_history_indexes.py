# Indexes for the audit history: the filter by user, and the joins of a release's events by execution and
# deployment id (timeline, insights). Indexes only: the audit log stays append-only.

import django.db.models.fields.json
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("dashboard", "0003_connection_check_is_sandbox"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="auditevent",
            index=models.Index(fields=["actor_name", "-created_at"], name="audit_actor_created_idx"),
        ),
        migrations.AddIndex(
            model_name="auditevent",
            index=models.Index(
                django.db.models.fields.json.KeyTransform("execution_id", "params"), name="audit_execution_id_idx"
            ),
        ),
        migrations.AddIndex(
            model_name="auditevent",
            index=models.Index(
                django.db.models.fields.json.KeyTransform("deployment_id", "params"), name="audit_deployment_id_idx"
            ),
        ),
    ]
