"""The EventBridge rule and SQS queue that tell the dashboard of releases as they happen: one of each per account
and region, made by the wizard's pipeline step or by `manage.py events_rule` for setups made elsewhere (both in
provisioning/worker/event_queue.py: making them takes the wizard's permissions, reading them the console's).

The rule forwards CodePipeline execution, stage and action state changes, CodeDeploy deployment state changes,
ECS service deployment state changes (ECS's own blue/green) and ECR image actions of the region to the queue; the
queue's policy lets only that rule send to it.
"""

import json

from dashboard import aws
from dashboard.models import same_connection
from releases.models import EventSource

NAME = "release-dashboard-events"  # the rule's and the queue's
TARGET_ID = "dashboard-queue"
DETAIL_TYPES = {
    "aws.codepipeline": [
        "CodePipeline Pipeline Execution State Change",
        "CodePipeline Stage Execution State Change",
        "CodePipeline Action Execution State Change",
    ],
    "aws.codedeploy": ["CodeDeploy Deployment State-change Notification"],
    # ECS developer guide, "Amazon ECS service deployment state change events": SERVICE_DEPLOYMENT_IN_PROGRESS,
    # _COMPLETED and _FAILED, `resources` the service's ARN.
    "aws.ecs": ["ECS Deployment State Change"],
    "aws.ecr": ["ECR Image Action"],
}
PATTERN = {"source": list(DETAIL_TYPES), "detail-type": [t for types in DETAIL_TYPES.values() for t in types]}
# Events older than this are of no use: the polling fallback has long seen what they tell.
QUEUE_ATTRIBUTES = {"MessageRetentionPeriod": "3600", "SqsManagedSseEnabled": "true"}
MISSING_QUEUE = ("AWS.SimpleQueueService.NonExistentQueue", "QueueDoesNotExist")


def queue_policy(queue_arn, rule_arn):
    """Only EventBridge, and only for this rule (EventBridge user guide, "Amazon SQS permissions")."""
    statement = {
        "Sid": "EventsFromTheDashboardRule",
        "Effect": "Allow",
        "Principal": {"Service": "events.amazonaws.com"},
        "Action": "sqs:SendMessage",
        "Resource": queue_arn,
        "Condition": {"ArnEquals": {"aws:SourceArn": rule_arn}},
    }
    return json.dumps({"Version": "2012-10-17", "Statement": [statement]})


def rule_arguments(description):
    return {"Name": NAME, "EventPattern": json.dumps(PATTERN), "State": "ENABLED", "Description": description}


def register(connection):
    """The EventSource of the connection's account and region when its queue exists (else None): tracking a
    pipeline calls it, so a queue the wizard made is listened to from then on."""
    try:
        url = aws.call("sqs", "get_queue_url", connection, QueueName=NAME)["QueueUrl"]
    except aws.AwsError as error:
        if error.code in MISSING_QUEUE:
            return None
        raise
    source, _ = EventSource.objects.update_or_create(
        **same_connection(connection),
        defaults={"queue_url": url, "rule_name": NAME},
    )
    if source.error_code in MISSING_QUEUE:  # made again: the listener reads it from its next round
        EventSource.objects.filter(pk=source.pk).update(error_code="", error_message="", error_at=None)
        source.refresh_from_db()
    return source
