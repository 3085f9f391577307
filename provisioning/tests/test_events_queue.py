"""The pipeline step makes the events rule and queue that tell the release console of releases as they happen;
the inventory lists them, Verify's tracking listens to the queue, and teardown removes them."""

import json

from django.core.management import call_command

from provisioning.models import Resource
from provisioning.tests.checks import provision_in_thread
from releases.models import EventSource
from releases.worker import event_rule


def test_the_pipeline_step_sends_release_events_to_a_queue_the_console_listens_to(transactional_db, aws, sandbox):
    provision_in_thread(sandbox, "shop", "--verify-mode", "start", "--sample-image")

    url = aws.sqs.get_queue_url(QueueName=event_rule.NAME)["QueueUrl"]
    arn = aws.sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    rule = aws.events.describe_rule(Name=event_rule.NAME)
    assert json.loads(rule["EventPattern"]) == event_rule.PATTERN
    assert [t["Arn"] for t in aws.events.list_targets_by_rule(Rule=event_rule.NAME)["Targets"]] == [arn]
    policy = json.loads(aws.sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["Policy"])["Attributes"]["Policy"])
    assert policy["Statement"][0]["Condition"] == {"ArnEquals": {"aws:SourceArn": rule["Arn"]}}
    inventory = set(Resource.objects.filter(owned=True).values_list("kind", "name"))
    assert {("sqs.queue", event_rule.NAME), ("events.rule", event_rule.NAME)} <= inventory
    assert EventSource.objects.get().queue_url == url

    call_command("teardown", "shop", "--confirm", "shop")
    assert aws.sqs.list_queues().get("QueueUrls", []) == []
    assert event_rule.NAME not in [r["Name"] for r in aws.events.list_rules()["Rules"]]


def test_a_rerun_brings_a_rule_made_before_the_ecs_events_in_line(transactional_db, aws, sandbox):
    call_command("provision", "shop", "--until", "pipeline", "--sample-image")
    older = {
        key: [v for v in values if "ECS" not in v and v != "aws.ecs"] for key, values in event_rule.PATTERN.items()
    }
    aws.events.put_rule(Name=event_rule.NAME, EventPattern=json.dumps(older))

    call_command("provision", "shop", "--until", "pipeline")
    rule = aws.events.describe_rule(Name=event_rule.NAME)
    assert json.loads(rule["EventPattern"]) == event_rule.PATTERN
    assert "ECS Deployment State Change" in event_rule.PATTERN["detail-type"]
