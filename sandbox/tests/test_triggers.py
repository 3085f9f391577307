"""Pushes and commits start a pipeline only through a matching, enabled EventBridge rule (or polling)."""

import json

import pytest

from sandbox.tests.helpers import PIPELINE, executions
from sandbox.tutorial import ACCOUNT_ID, TRUST_CODEDEPLOY, Tutorial

RULE_ARN = f"arn:aws:events:us-east-1:{ACCOUNT_ID}:rule/"


def triggers(aws) -> list[tuple[str, str]]:
    """(triggerType, triggerDetail) of every execution, oldest first."""
    return [(e["trigger"]["triggerType"], e["trigger"].get("triggerDetail")) for e in reversed(executions(aws))]


def new_triggers(aws, before: list) -> list[tuple[str, str]]:
    return triggers(aws)[len(before) :]


def commit(aws, text: bytes = b"hello", branch: str = "main") -> str:
    head = aws.codecommit.get_branch(repositoryName="MyDemoRepo", branchName="main")["branch"]["commitId"]
    return aws.codecommit.put_file(
        repositoryName="MyDemoRepo", branchName=branch, parentCommitId=head, filePath="README.md", fileContent=text
    )["commitId"]


def test_a_push_without_a_rule_starts_nothing(aws):
    t = Tutorial(aws, event_rules=False).build()
    before = triggers(aws)
    assert [kind for kind, _ in before] == ["CreatePipeline"]
    t.push_image("nginx:2")
    assert new_triggers(aws, before) == []


def test_a_push_matching_a_rule_starts_one_execution_named_after_the_rule(aws):
    t = Tutorial(aws).build()
    before = triggers(aws)
    t.push_image("nginx:2")
    assert new_triggers(aws, before) == [("CloudWatchEvent", RULE_ARN + "codepipeline-nginx-latest-rule")]
    t.push_image("nginx:3", tag="v3")  # the rule names the tag latest
    assert len(new_triggers(aws, before)) == 1


def test_a_rule_for_another_tag_starts_the_pipeline_only_for_that_tag(aws):
    t = Tutorial(aws, event_rules=False).build()
    t.create_events_role()
    t.add_event_rule("release-tag", t.ecr_event_pattern(tag="release"))
    before = triggers(aws)
    t.push_image("nginx:2")
    assert new_triggers(aws, before) == []
    t.push_image("nginx:2", tag="release")
    assert new_triggers(aws, before) == [("CloudWatchEvent", RULE_ARN + "release-tag")]


def test_a_disabled_rule_starts_nothing(aws):
    t = Tutorial(aws, event_rules=False).build()
    t.create_events_role()
    t.add_event_rule("off", t.ecr_event_pattern(), state="DISABLED")
    before = triggers(aws)
    t.push_image("nginx:2")
    assert new_triggers(aws, before) == []
    aws.events.enable_rule(Name="off")
    t.push_image("nginx:3")
    assert new_triggers(aws, before) == [("CloudWatchEvent", RULE_ARN + "off")]


def test_a_target_whose_role_eventbridge_cannot_assume_starts_nothing(aws):
    t = Tutorial(aws, event_rules=False).build()
    role = aws.iam.create_role(RoleName="not-for-events", AssumeRolePolicyDocument=json.dumps(TRUST_CODEDEPLOY))
    t.add_event_rule("wrong-role", t.ecr_event_pattern(), role_arn=role["Role"]["Arn"])
    before = triggers(aws)
    t.push_image("nginx:2")
    assert new_triggers(aws, before) == []


def test_a_commit_without_a_rule_starts_nothing_when_polling_is_off(aws):
    Tutorial(aws, event_rules=False).build()
    before = triggers(aws)
    commit(aws)
    assert new_triggers(aws, before) == []


def test_a_commit_matching_a_rule_starts_one_execution(aws):
    t = Tutorial(aws).build()
    before = triggers(aws)
    commit(aws)
    assert new_triggers(aws, before) == [("CloudWatchEvent", RULE_ARN + "codepipeline-MyDemoRepo-main-rule")]
    t.push_image("nginx:2")  # the CodeCommit rule does not match an image push, the ECR rule does
    assert len(new_triggers(aws, before)) == 2


@pytest.mark.parametrize("state", ["ENABLED", "DISABLED"])
def test_a_commit_to_another_branch_or_with_a_disabled_rule_starts_nothing(aws, state):
    t = Tutorial(aws, event_rules=False).build()
    t.create_events_role()
    branch = "develop" if state == "ENABLED" else "main"
    t.add_event_rule("codecommit-rule", t.codecommit_event_pattern(branch=branch), state=state)
    before = triggers(aws)
    commit(aws)
    assert new_triggers(aws, before) == []


def test_a_new_branch_is_a_reference_created_event(aws):
    t = Tutorial(aws, event_rules=False).build()
    t.create_events_role()
    t.add_event_rule("develop-rule", t.codecommit_event_pattern(branch="develop"))
    before = triggers(aws)
    head = aws.codecommit.get_branch(repositoryName="MyDemoRepo", branchName="main")["branch"]["commitId"]
    aws.codecommit.create_branch(repositoryName="MyDemoRepo", branchName="develop", commitId=head)
    assert new_triggers(aws, before) == [("CloudWatchEvent", RULE_ARN + "develop-rule")]


@pytest.mark.parametrize("poll", ["true", None])
def test_a_polling_codecommit_source_starts_without_a_rule(aws, poll):
    t = Tutorial(aws, event_rules=False).build()
    declaration = t.pipeline_definition()
    config = declaration["stages"][0]["actions"][0]["configuration"]
    config.pop("PollForSourceChanges")
    if poll:
        config["PollForSourceChanges"] = poll  # absent, it defaults to true for a pipeline made through the API
    aws.codepipeline.update_pipeline(pipeline=declaration)
    before = triggers(aws)
    commit(aws)
    assert new_triggers(aws, before) == [("PollForSourceChanges", "Source")]


def test_test_event_pattern_answers_as_eventbridge(aws):
    pattern = json.dumps({"source": ["aws.ecr"], "detail": {"image-tag": [{"prefix": "v"}]}})
    event = {
        "id": "1",
        "account": ACCOUNT_ID,
        "source": "aws.ecr",
        "time": "2024-01-01T00:00:00Z",
        "region": "us-east-1",
        "resources": [],
        "detail-type": "ECR Image Action",
        "detail": {"image-tag": "v2"},
    }
    assert aws.events.test_event_pattern(EventPattern=pattern, Event=json.dumps(event))["Result"] is True
    event["detail"]["image-tag"] = "latest"
    assert aws.events.test_event_pattern(EventPattern=pattern, Event=json.dumps(event))["Result"] is False
    with pytest.raises(aws.events.exceptions.ClientError):
        aws.events.test_event_pattern(EventPattern=pattern, Event=json.dumps({"detail": {}}))


def test_the_tutorial_pipeline_is_started_by_name(aws):
    Tutorial(aws).build()
    targets = aws.events.list_targets_by_rule(Rule="codepipeline-nginx-latest-rule")["Targets"]
    assert [t["Arn"] for t in targets] == [f"arn:aws:codepipeline:us-east-1:{ACCOUNT_ID}:{PIPELINE}"]
