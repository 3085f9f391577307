"""A connection that assumes a role signs every call with that role's session, in the role's account, and renews
the session before it expires (botocore's refreshable credentials, judged on AWS's clock), so no call is refused."""

import logging

import pytest

from dashboard import aws

from .accounts import DASHBOARD_ACCOUNT, PRODUCTION, STAGING, account_client, trusted_role


def through(sandbox, role_arn, **options):
    return aws.Connection("us-east-1", endpoint_url=sandbox.endpoint_url, role_arn=role_arn, **options)


def test_each_connection_acts_in_its_own_account(sandbox):
    staging = through(sandbox, trusted_role(sandbox, STAGING))
    production = through(sandbox, trusted_role(sandbox, PRODUCTION, external_id="prod-only"), external_id="prod-only")
    account_client(sandbox, PRODUCTION, "codedeploy").create_application(applicationName="shop", computePlatform="ECS")

    assert aws.call("sts", "get_caller_identity", staging)["Arn"] == (
        f"arn:aws:sts::{STAGING}:assumed-role/bluegreen-dashboard/bluegreen-dashboard"
    )
    assert aws.call("sts", "get_caller_identity", production)["Account"] == PRODUCTION
    assert aws.call("codedeploy", "list_applications", production)["applications"] == ["shop"]
    assert aws.call("codedeploy", "list_applications", staging)["applications"] == []
    calls = sandbox.calls(by_account=True)
    assert calls[DASHBOARD_ACCOUNT]["sts"] == {"AssumeRole": 2}
    assert calls[STAGING]["codedeploy"] == {"ListApplications": 1}
    assert calls[PRODUCTION]["codedeploy"]["ListApplications"] == 1


def test_a_role_that_cannot_be_assumed_gives_awss_error(sandbox):
    untrusting = trusted_role(sandbox, STAGING, trusted="999999999999")
    with pytest.raises(aws.AwsError) as refused:
        aws.call("codepipeline", "list_pipelines", through(sandbox, untrusting))
    assert refused.value.code == "AccessDenied"
    assert refused.value.operation == "AssumeRole"
    assert f"not authorized to perform: sts:AssumeRole on resource: {untrusting}" in refused.value.message

    needs_external_id = trusted_role(sandbox, PRODUCTION, external_id="prod-only")
    with pytest.raises(aws.AwsError) as refused:
        aws.call("sts", "get_caller_identity", through(sandbox, needs_external_id, external_id="guess"))
    assert refused.value.code == "AccessDenied"


def test_sessions_are_renewed_before_they_expire_and_no_call_is_refused(sandbox, caplog):
    """Three hours of AWS's time, a call every five minutes, through one-hour sessions: each is renewed in its
    last fifteen minutes (AWS's clock, as its answers tell), so AWS never sees an expired one."""
    connection = through(sandbox, trusted_role(sandbox, STAGING), duration_seconds=3600)
    caplog.set_level(logging.WARNING, logger="dashboard.aws")
    for _ in range(36):
        assert aws.call("codepipeline", "list_pipelines", connection)["pipelines"] == []
        sandbox.advance(300)
    assert "refused as expired or unknown" not in caplog.text
    assert sandbox.calls(by_account=True)[DASHBOARD_ACCOUNT]["sts"]["AssumeRole"] in (3, 4)
    assert sandbox.calls(by_account=True)[STAGING]["codepipeline"]["ListPipelines"] == 36


def test_a_session_refused_as_expired_is_renewed_and_the_call_sent_again(sandbox, caplog):
    """AWS's clock jumped two hours between two calls (a sandbox can; a dashboard host's clock can lag): the
    session AWS refuses is renewed and the call goes through."""
    connection = through(sandbox, trusted_role(sandbox, STAGING))
    aws.call("codepipeline", "list_pipelines", connection)
    sandbox.advance(7200)
    caplog.set_level(logging.WARNING, logger="dashboard.aws")
    assert aws.call("codepipeline", "list_pipelines", connection)["pipelines"] == []
    assert "refused as expired or unknown" in caplog.text
    assert sandbox.calls(by_account=True)[DASHBOARD_ACCOUNT]["sts"]["AssumeRole"] == 2


def test_a_connection_is_shown_failing_for_its_own_failures_not_for_what_it_was_asked(sandbox, db):
    from dashboard.models import AwsConnection
    from releases.models import ReleaseTarget
    from releases.worker import polling

    def refreshed_through(name, role_arn):
        connection = AwsConnection.objects.create(
            name=name, region="us-east-1", credentials=AwsConnection.ROLE, role_arn=role_arn
        )
        target = ReleaseTarget.objects.create(name=name, pipeline_name="no-such-pipeline", aws_connection=connection)
        polling.refresh(target.pk)
        target.refresh_from_db()
        connection.refresh_from_db()
        return target, connection

    target, working = refreshed_through("staging", trusted_role(sandbox, STAGING))
    assert "PipelineNotFoundException" in target.poll_error
    assert working.failed_at is None and working.error_code == ""

    target, refused = refreshed_through("production", trusted_role(sandbox, PRODUCTION, trusted="999999999999"))
    assert "AccessDenied" in target.poll_error
    assert refused.failed_at is not None and refused.error_code == "AccessDenied" and not refused.healthy
