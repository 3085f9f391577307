"""Setup.outputs (one dict every step merged into) becomes step_outputs: one dict per step, holding the keys that
step declares (steps.<module>.OUTPUTS). Existing rows are split by each key's owner, as the steps declared them on
the day this was written; a key no step declares is kept under "unowned" so nothing is lost."""

from django.db import migrations, models

OWNER_OF_OUTPUT = {
    **dict.fromkeys(("account", "identity_arn", "is_sandbox", "ecr_repositories"), "connect"),
    **dict.fromkeys(("repository_uri", "repository_arn", "image", "image_digest"), "repository"),
    **dict.fromkeys(("execution_role_arn", "task_definition_arn", "source_revision"), "taskdef"),
    **dict.fromkeys(
        (
            "vpc_id",
            "subnets",
            "security_group_id",
            "security_group_owned",
            "load_balancer_arn",
            "load_balancer_dns",
            "target_group_1_arn",
            "target_group_2_arn",
            "production_listener_arn",
            "test_listener_arn",
        ),
        "loadbalancer",
    ),
    **dict.fromkeys(("cluster_arn", "service_arn", "service_target_group_arn"), "service"),
    "codedeploy_role_arn": "codedeploy",
    **dict.fromkeys(("pipeline_role_arn", "pipeline_arn", "events_role_arn"), "pipeline"),
    **dict.fromkeys(("release_url", "execution_id", "deployment_id"), "verify"),
}
UNOWNED = "unowned"


def split_by_step(apps, schema_editor):
    Setup = apps.get_model("provisioning", "Setup")
    for setup in Setup.objects.all():
        by_step = {}
        for key, value in (setup.step_outputs or {}).items():
            by_step.setdefault(OWNER_OF_OUTPUT.get(key, UNOWNED), {})[key] = value
        Setup.objects.filter(pk=setup.pk).update(step_outputs=by_step)


def merge_steps(apps, schema_editor):
    Setup = apps.get_model("provisioning", "Setup")
    for setup in Setup.objects.all():
        flat = {key: value for values in (setup.step_outputs or {}).values() for key, value in values.items()}
        Setup.objects.filter(pk=setup.pk).update(step_outputs=flat)


class Migration(migrations.Migration):
    dependencies = [
        ("provisioning", "0003_one_job_model"),
    ]

    operations = [
        migrations.RenameField(model_name="setup", old_name="outputs", new_name="step_outputs"),
        migrations.AlterField(
            model_name="setup",
            name="step_outputs",
            field=models.JSONField(
                blank=True, default=dict, help_text="What each step found or made: step key → {output key: value}."
            ),
        ),
        migrations.RunPython(split_by_step, merge_steps),
    ]
