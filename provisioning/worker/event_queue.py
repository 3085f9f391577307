"""The pipeline step's last two sub-actions: the SQS queue and the EventBridge rule that tell the release console
of releases as they happen (releases/worker/event_rule.py says what they are). One of each per account and
region, shared by every setup there: a second setup adopts them, and teardown keeps them while another uses them.
"""

import json

from dashboard import aws
from releases.worker import event_rule


def queue(ctx):
    name = event_rule.NAME

    def find():
        found = ctx.find(event_rule.MISSING_QUEUE, "sqs", "get_queue_url", QueueName=name)
        return {"arn": queue_arn_of(ctx.call, found["QueueUrl"]), "url": found["QueueUrl"]} if found else None

    def create():
        url = ctx.call(
            "sqs", "create_queue", QueueName=name, Attributes=event_rule.QUEUE_ATTRIBUTES, tags=ctx.tags("map")
        )["QueueUrl"]
        return {"arn": queue_arn_of(ctx.call, url), "url": url}

    found = ctx.ensure("sqs.queue", name, find=find, create=create)
    return {"events_queue_url": found["url"], "events_queue_arn": found["arn"], "detail": found["detail"]}


def rule(ctx):
    name, out = event_rule.NAME, ctx.outputs

    description = "Release events for the dashboard's console (CodePipeline, CodeDeploy, ECS, ECR)"

    def find():
        found = ctx.find(("ResourceNotFoundException",), "events", "describe_rule", Name=name)
        return {"arn": found["Arn"], "pattern": found.get("EventPattern") or "{}"} if found else None

    def create():
        made = ctx.call("events", "put_rule", **event_rule.rule_arguments(description), Tags=ctx.tags())
        return {"arn": made["RuleArn"], "pattern": json.dumps(event_rule.PATTERN)}

    found = ctx.ensure("events.rule", name, find=find, create=create)
    if found["owned"]:  # an adopted rule and queue are someone else's to change
        if json.loads(found["pattern"]) != event_rule.PATTERN:  # made before it forwarded what it does now
            ctx.call("events", "put_rule", **event_rule.rule_arguments(description))
        policy = event_rule.queue_policy(out["events_queue_arn"], found["arn"])
        ctx.call("sqs", "set_queue_attributes", QueueUrl=out["events_queue_url"], Attributes={"Policy": policy})
        target = {"Id": event_rule.TARGET_ID, "Arn": out["events_queue_arn"]}
        if target not in ctx.call("events", "list_targets_by_rule", Rule=name)["Targets"]:
            ctx.call("events", "put_targets", Rule=name, Targets=[target])
    return {"detail": found["detail"]}


def set_up(connection):
    """What `manage.py events_rule` does for pipelines set up elsewhere: make (or bring in line) the queue, its
    policy, the rule and its target, then register the queue for listening. Every call is safe to repeat."""

    def call(service, operation, **params):
        return aws.call(service, operation, connection, **params)

    name = event_rule.NAME
    url = call("sqs", "create_queue", QueueName=name, Attributes=event_rule.QUEUE_ATTRIBUTES)["QueueUrl"]
    arn = queue_arn_of(call, url)
    rule_arn = call("events", "put_rule", **event_rule.rule_arguments("Release events for the dashboard"))["RuleArn"]
    call("sqs", "set_queue_attributes", QueueUrl=url, Attributes={"Policy": event_rule.queue_policy(arn, rule_arn)})
    call("events", "put_targets", Rule=name, Targets=[{"Id": event_rule.TARGET_ID, "Arn": arn}])
    return event_rule.register(connection)


def queue_arn_of(call, url):
    """The queue's ARN, asked through `call(service, operation, **params)` (the wizard's or a plain one)."""
    return call("sqs", "get_queue_attributes", QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
