"""CodePipeline and CodeDeploy state changes reach an SQS queue through an EventBridge rule, as in AWS: with
AWS's event shapes, and only when the queue's policy lets EventBridge send to it."""

import json

from sandbox.tutorial import ACCOUNT_ID, Tutorial

PATTERN = {"source": ["aws.codepipeline", "aws.codedeploy", "aws.ecr"]}


def queue_with_rule(aws, *, allow=True):
    url = aws.sqs.create_queue(QueueName="release-events")["QueueUrl"]
    arn = aws.sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    rule = aws.events.put_rule(Name="to-queue", EventPattern=json.dumps(PATTERN), State="ENABLED")["RuleArn"]
    aws.events.put_targets(Rule="to-queue", Targets=[{"Id": "queue", "Arn": arn}])
    if allow:
        statement = {
            "Effect": "Allow",
            "Principal": {"Service": "events.amazonaws.com"},
            "Action": "sqs:SendMessage",
            "Resource": arn,
            "Condition": {"ArnEquals": {"aws:SourceArn": rule}},
        }
        policy = {"Version": "2012-10-17", "Statement": [statement]}
        aws.sqs.set_queue_attributes(QueueUrl=url, Attributes={"Policy": json.dumps(policy)})
    return url


def drain(aws, url):
    events = []
    while True:
        messages = aws.sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
        if not messages:
            return events
        for message in messages:
            events.append(json.loads(message["Body"]))
            aws.sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])


def test_a_push_and_the_release_it_starts_send_aws_s_events_to_the_queue(aws):
    t = Tutorial(aws, ready_wait_minutes=None).build()
    t.settle()
    url = queue_with_rule(aws)
    t.push_image("nginx:2")
    t.settle()
    events = drain(aws, url)
    kinds = [(e["source"], e["detail-type"], e["detail"].get("state")) for e in events]
    assert kinds[0] == ("aws.ecr", "ECR Image Action", None)
    assert ("aws.codepipeline", "CodePipeline Pipeline Execution State Change", "STARTED") in kinds
    assert kinds[-1] == ("aws.codepipeline", "CodePipeline Pipeline Execution State Change", "SUCCEEDED")
    deploy = [e["detail"] for e in events if e["source"] == "aws.codedeploy"]
    assert [d["state"] for d in deploy] == ["START", "SUCCESS"]
    assert deploy[0]["application"] == t.application and deploy[0]["deploymentGroup"] == t.group
    assert deploy[0]["deploymentId"] == t.deployments()[-1]["deploymentId"]
    stage = next(e for e in events if e["detail-type"] == "CodePipeline Stage Execution State Change")
    assert stage["detail"]["pipeline"] == t.pipeline and stage["detail"]["stage"] == "Source"
    assert stage["resources"] == [f"arn:aws:codepipeline:us-east-1:{ACCOUNT_ID}:{t.pipeline}"]
    action = [e["detail"] for e in events if e["detail-type"] == "CodePipeline Action Execution State Change"]
    assert {(a["action"], a["state"]) for a in action} >= {("Deploy", "STARTED"), ("Deploy", "SUCCEEDED")}
    assert all(e["account"] == ACCOUNT_ID and e["region"] == "us-east-1" for e in events)


def test_a_deployment_waiting_for_a_reroute_sends_ready(aws):
    Tutorial(aws, ready_wait_minutes=30).build()
    url = queue_with_rule(aws)
    aws.sandbox.advance(120)
    states = [e["detail"]["state"] for e in drain(aws, url) if e["source"] == "aws.codedeploy"]
    assert states == ["START", "READY"]


def test_a_queue_whose_policy_does_not_let_eventbridge_send_gets_nothing(aws):
    t = Tutorial(aws).build()
    url = queue_with_rule(aws, allow=False)
    t.push_image("nginx:2")
    aws.sandbox.advance(30)
    assert drain(aws, url) == []
