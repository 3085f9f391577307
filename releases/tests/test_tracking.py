"""Tracking a setup made by hand with plain boto3: the parts are found from the pipeline, checks run."""

import io
import json

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from dashboard import aws
from dashboard.audit import AuditEvent
from dashboard.tests.workers import kill_mid_call, sweep_and_finish
from releases.models import ReleaseTarget, TrackRequest
from releases.tests.conftest import console_tutorial, wait_for
from releases.worker.track import TrackingError, track_pipeline
from sandbox.tutorial import TASKDEF, TASKDEF_TEMPLATE, TRUST_CODEDEPLOY


def test_tracking_a_hand_made_setup_finds_every_part_and_passes_the_checks(db, sandbox, tutorial, operator):
    target = track_pipeline(tutorial.pipeline, connection=aws.Connection.from_settings(), user=operator)

    assert target.application_name == tutorial.application
    assert target.deployment_group_name == tutorial.group
    assert (target.cluster_name, target.service_name) == (tutorial.cluster, tutorial.service)
    assert target.prod_port == 80 and target.test_port == 8080
    assert target.load_balancer_dns
    assert target.target_group_names == list(tutorial.target_groups)
    assert (target.ready_wait_minutes, target.termination_wait_minutes) == (30, 60)
    assert target.failed_checks == []
    assert target.get_absolute_url() == f"/releases/{target.pk}/"
    event = AuditEvent.objects.get(action="target.tracked")
    assert (event.scope, event.actor, event.outcome) == (target.name, operator, "succeeded")


def test_tracking_the_same_pipeline_again_returns_the_same_target(db, sandbox, tutorial):
    first = track_pipeline(tutorial.pipeline, connection=aws.Connection.from_settings())
    again = track_pipeline(tutorial.pipeline, connection=aws.Connection.from_settings())
    assert again.pk == first.pk
    assert ReleaseTarget.objects.count() == 1
    assert AuditEvent.objects.filter(action="target.tracked").count() == 1


def test_an_unknown_pipeline_cannot_be_tracked(db, sandbox):
    with pytest.raises(TrackingError, match="no pipeline named"):
        track_pipeline("nope", connection=aws.Connection.from_settings())


def failed(target):
    return {c["name"]: c for c in target.failed_checks}


def test_each_preflight_check_fails_with_what_is_wrong_and_how_to_fix_it(db, sandbox, boto):
    t = console_tutorial(boto)
    assert failed(track_pipeline(t.pipeline, connection=aws.Connection.from_settings())) == {}
    cd, names = boto.codedeploy, list(t.target_groups)
    pair = {
        "targetGroups": [{"name": n} for n in names],
        "prodTrafficRoute": {"listenerArns": [t.listeners["prod"]]},
        "testTrafficRoute": {"listenerArns": [t.listeners["test"]]},
    }

    def update_group(**changes):
        cd.update_deployment_group(applicationName=t.application, currentDeploymentGroupName=t.group, **changes)

    def only_failure(name, words):
        checks = failed(track_pipeline(t.pipeline, connection=aws.Connection.from_settings()))
        assert set(checks) == {name}, checks
        assert words in checks[name]["message"] and checks[name]["fix"]

    # The service role is not trusted by CodeDeploy.
    tasks_trust = json.dumps(
        {
            **TRUST_CODEDEPLOY,
            "Statement": [{**TRUST_CODEDEPLOY["Statement"][0], "Principal": {"Service": "ecs-tasks.amazonaws.com"}}],
        }
    )
    role = t.role_arn.rsplit("/", 1)[-1]
    boto.iam.update_assume_role_policy(RoleName=role, PolicyDocument=tasks_trust)
    only_failure("service_role", "does not let codedeploy.amazonaws.com assume it")
    boto.iam.update_assume_role_policy(RoleName=role, PolicyDocument=json.dumps(TRUST_CODEDEPLOY))

    # taskdef.json lost its <IMAGE1_NAME> placeholder.
    def commit_taskdef(taskdef):
        head = boto.codecommit.get_branch(repositoryName=t.code_repository, branchName="main")["branch"]["commitId"]
        boto.codecommit.put_file(
            repositoryName=t.code_repository,
            branchName="main",
            parentCommitId=head,
            fileContent=json.dumps(taskdef).encode(),
            filePath="taskdef.json",
        )

    commit_taskdef(TASKDEF)  # the registered one: the real image, no placeholder
    only_failure("placeholders", "taskdef.json does not contain <IMAGE1_NAME>")
    commit_taskdef(TASKDEF_TEMPLATE)

    # No test listener; a target group that does not exist.
    update_group(loadBalancerInfo={"targetGroupPairInfoList": [{**pair, "testTrafficRoute": {"listenerArns": []}}]})
    only_failure("listeners", "The deployment group has no test listener")
    vpc = boto.ec2.describe_vpcs()["Vpcs"][0]["VpcId"]
    gone = boto.elbv2.create_target_group(Name="gone", Protocol="HTTP", Port=80, VpcId=vpc, TargetType="ip")
    update_group(
        loadBalancerInfo={"targetGroupPairInfoList": [{**pair, "targetGroups": [{"name": names[0]}, {"name": "gone"}]}]}
    )
    boto.elbv2.delete_target_group(TargetGroupArn=gone["TargetGroups"][0]["TargetGroupArn"])
    assert (
        "Target group gone named by the deployment group does not exist"
        in failed(track_pipeline(t.pipeline, connection=aws.Connection.from_settings()))["target_groups"]["message"]
    )
    update_group(loadBalancerInfo={"targetGroupPairInfoList": [pair]})

    # The production listener forwards somewhere else.
    stray = boto.elbv2.create_target_group(Name="stray", Protocol="HTTP", Port=80, VpcId=vpc, TargetType="ip")
    stray_arn = stray["TargetGroups"][0]["TargetGroupArn"]
    boto.elbv2.modify_listener(
        ListenerArn=t.listeners["prod"], DefaultActions=[{"Type": "forward", "TargetGroupArn": stray_arn}]
    )
    only_failure("wiring", "production listener forwards to neither target group")
    boto.elbv2.modify_listener(
        ListenerArn=t.listeners["prod"],
        DefaultActions=[{"Type": "forward", "TargetGroupArn": t.target_groups[names[0]]}],
    )

    # The service was made again without the CODE_DEPLOY deployment controller.
    service = boto.ecs.describe_services(cluster=t.cluster, services=[t.service])["services"][0]
    boto.ecs.delete_service(cluster=t.cluster, service=t.service, force=True)
    boto.ecs.create_service(
        cluster=t.cluster,
        serviceName=t.service,
        taskDefinition=service["taskDefinition"],
        desiredCount=1,
        launchType="FARGATE",
        networkConfiguration=service["networkConfiguration"],
        loadBalancers=service["loadBalancers"],
    )
    only_failure("service_controller", "uses the ECS deployment controller")

    # The deploy action names a deployment group that does not exist.
    cd.delete_deployment_group(applicationName=t.application, deploymentGroupName=t.group)
    checks = failed(track_pipeline(t.pipeline, connection=aws.Connection.from_settings()))
    assert "which CodeDeploy does not know" in checks["deployment_group"]["message"]
    assert AuditEvent.objects.filter(action="target.tracked").count() == 1


def test_a_pipeline_without_an_ecs_blue_green_deploy_action_is_not_tracked(db, sandbox, boto):
    t = console_tutorial(boto)
    pipeline = boto.codepipeline.get_pipeline(name=t.pipeline)["pipeline"]
    pipeline["stages"] = pipeline["stages"][:1] + [
        {
            "name": "Approve",
            "actions": [
                {
                    "name": "Ok",
                    "actionTypeId": {"category": "Approval", "owner": "AWS", "provider": "Manual", "version": "1"},
                }
            ],
        }
    ]
    boto.codepipeline.update_pipeline(pipeline=pipeline)
    with pytest.raises(TrackingError, match="has no Amazon ECS \\(Blue/Green\\) deploy action"):
        track_pipeline(t.pipeline, connection=aws.Connection.from_settings())


def test_an_admin_tracks_a_pipeline_from_the_page_and_a_worker_does_it(client, admin_user, sandbox, boto, worker):
    t = console_tutorial(boto)
    client.force_login(admin_user)
    response = client.post(reverse("release-track"), {"pipeline_name": t.pipeline}, headers={"HX-Request": "true"})
    assert response.status_code == 200 and b"every 1s" in response.content
    job = TrackRequest.objects.get()
    wait_for(lambda: TrackRequest.objects.get().is_finished, what="tracking")
    job.refresh_from_db()
    assert job.status == "succeeded" and job.target.pipeline_name == t.pipeline
    fragment = client.get(reverse("release-track-status", args=[job.pk]), headers={"HX-Request": "true"})
    assert fragment.status_code == 286 and "all pre-flight checks passed" in fragment.content.decode()

    client.post(reverse("release-track"), {"pipeline_name": "nope"})
    wait_for(lambda: TrackRequest.objects.filter(pipeline_name="nope", status="failed").first(), what="failure")
    assert "There is no pipeline named “nope”" in client.get(reverse("releases")).content.decode()


def test_the_track_command_tracks_in_process(db, sandbox, boto):
    t = console_tutorial(boto)
    out = io.StringIO()
    call_command("track", t.pipeline, stdout=out)
    target = ReleaseTarget.objects.get()
    assert f"Tracking {t.pipeline}" in out.getvalue() and target.get_absolute_url() in out.getvalue()
    assert "8 of 8 pre-flight checks passed" in out.getvalue()
    with pytest.raises(CommandError, match="no pipeline named"):
        call_command("track", "nope")


def test_a_tracking_whose_worker_was_killed_is_run_again_and_its_line_stops_polling(
    transactional_db, tutorial, sandbox, client, admin_user, job_queue, tmp_path
):
    client.force_login(admin_user)
    log = (tmp_path / "workers.log").open("w")  # read it when this test fails

    def track():
        client.post(reverse("release-track"), {"pipeline_name": tutorial.pipeline}, headers={"HX-Request": "true"})
        return TrackRequest.objects.get()

    job = kill_mid_call(sandbox, job_queue, log, "codepipeline", "GetPipeline", track)
    job = sweep_and_finish(job, job_queue, log)
    log.close()
    assert (job.status, job.attempts, job.target.pipeline_name) == (TrackRequest.SUCCEEDED, 2, tutorial.pipeline)
    line = client.get(reverse("release-track-status", args=[job.pk]), headers={"HX-Request": "true"})
    assert line.status_code == 286
