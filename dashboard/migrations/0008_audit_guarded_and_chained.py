"""The audit log guarded in the database and hash-chained. Events written before this migration are chained here,
oldest first, so `manage.py verify_audit` checks the whole log from its first event."""

from django.db import migrations, models

from dashboard import audit_chain, audit_guard


def chain_existing(apps, schema_editor):
    events = apps.get_model("dashboard", "AuditEvent").objects.using(schema_editor.connection.alias)
    heads = apps.get_model("dashboard", "AuditChainHead").objects.using(schema_editor.connection.alias)
    previous, length = audit_chain.GENESIS, 0
    for event in events.order_by("id").iterator(chunk_size=2000):
        previous = audit_chain.link(event, previous)
        event.save(update_fields=[*audit_chain.CHAINED_FIELDS, "previous_hash", "hash"])
        length += 1
    heads.create(pk=1, last_hash=previous, length=length)


def guard(apps, schema_editor):
    audit_guard.create(schema_editor)


def unguard(apps, schema_editor):
    audit_guard.drop(schema_editor)


class Migration(migrations.Migration):
    dependencies = [
        ("dashboard", "0007_one_job_model_and_sandbox_console_moved_out"),
    ]

    operations = [
        migrations.CreateModel(
            name="AuditChainHead",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("last_hash", models.CharField(blank=True, max_length=64)),
                ("length", models.PositiveBigIntegerField(default=0)),
            ],
        ),
        migrations.AlterModelOptions(
            name="auditevent",
            options={"base_manager_name": "objects", "ordering": ["-created_at", "-id"]},
        ),
        migrations.AlterField(
            model_name="auditevent",
            name="created_at",
            field=models.DateTimeField(db_index=True, editable=False),
        ),
        migrations.AddField(
            model_name="auditevent",
            name="hash",
            field=models.CharField(default="", editable=False, max_length=64),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="auditevent",
            name="previous_hash",
            field=models.CharField(default="", editable=False, max_length=64),
            preserve_default=False,
        ),
        migrations.RunPython(chain_existing, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="auditevent",
            name="previous_hash",
            field=models.CharField(editable=False, max_length=64, unique=True),
        ),
        # Last: on SQLite the AlterField above rebuilds the table, which would drop triggers made before it.
        migrations.RunPython(guard, unguard),
    ]
