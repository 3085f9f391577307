"""What the dashboard tracks, gone from AWS (releases/gone.py): marked by the refresh that meets AWS's NotFound,
kept through other errors, cleared when AWS has it again; no actions meanwhile; untracking needs the admin role."""

from datetime import timedelta

from django.urls import reverse
from django.utils import timezone

from releases import gone
from releases.models import OperatorAction, ReleaseTarget
from releases.worker import polling


def test_a_deleted_deployment_group_marks_the_target_gone_and_recreating_it_clears_the_mark(
    client, operator, tracked, tutorial, boto, settings
):
    group = boto.codedeploy.get_deployment_group(
        applicationName=tutorial.application, deploymentGroupName=tutorial.group
    )["deploymentGroupInfo"]
    boto.codedeploy.delete_deployment_group(applicationName=tutorial.application, deploymentGroupName=tutorial.group)
    before = timezone.now()
    polling.refresh(tracked.pk)
    tracked.refresh_from_db()
    assert tracked.gone_code == "DeploymentGroupDoesNotExistException"
    shown = gone.describe(tracked)
    assert shown.sentence == f"the deployment group {tutorial.group} no longer exists"
    assert shown.step_key == "codedeploy" and shown.setup is None  # made by hand, not by the wizard
    # A NotFound is an answer, not trouble: looked at again at the idle interval, without backing off.
    idle = timedelta(seconds=settings.RELEASES_IDLE_POLL_SECONDS)
    assert before + idle <= tracked.poll_due_at <= timezone.now() + idle
    since = tracked.gone_since

    client.force_login(operator)
    page = client.get(tracked.get_absolute_url()).content.decode()
    assert f"the deployment group {tutorial.group} no longer exists" in page
    assert 'data-action="' not in page and 'data-way-back="untrack"' not in page  # untracking is for admins
    refused = client.post(reverse("release-action", args=[tracked.pk, "release_change"]), {"reason": "try it"})
    assert "is not possible in the current state" in refused.content.decode()
    assert not OperatorAction.objects.exists()

    boto.sandbox.set_fault(kind="throttle", service="codepipeline", operation="GetPipelineState")
    polling.refresh(tracked.pk)  # throttled (after botocore's retries): still gone, since it was first found gone
    boto.sandbox.clear_faults()
    tracked.refresh_from_db()
    assert tracked.gone_since == since and tracked.poll_error.startswith("ThrottlingException")

    boto.codedeploy.create_deployment_group(
        **{
            key: group[key]
            for key in (
                "applicationName",
                "deploymentGroupName",
                "serviceRoleArn",
                "deploymentConfigName",
                "ecsServices",
                "loadBalancerInfo",
                "deploymentStyle",
                "blueGreenDeploymentConfiguration",
                "autoRollbackConfiguration",
            )
        }
    )
    polling.refresh(tracked.pk)
    tracked.refresh_from_db()
    assert (tracked.gone_since, tracked.gone_code, tracked.poll_error) == (None, "", "")
    assert 'data-action="release_change"' in client.get(tracked.get_absolute_url()).content.decode()


def test_only_an_admin_untracks_a_target(client, operator, admin_user, tracked):
    client.force_login(operator)
    assert client.post(reverse("release-untrack", args=[tracked.pk])).status_code == 403
    assert client.get(reverse("release-untrack", args=[tracked.pk])).status_code in (403, 405)
    client.force_login(admin_user)
    assert client.post(reverse("release-untrack", args=[tracked.pk])).status_code == 302
    assert not ReleaseTarget.objects.filter(pk=tracked.pk).exists()
