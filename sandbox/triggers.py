"""What starts a pipeline when an image is pushed or a branch changes: EventBridge rules, as in AWS.

The push or commit becomes the event AWS sends (ECR "ECR Image Action", CodeCommit "CodeCommit
Repository State Change") on the default event bus of the sandbox's EventBridge (moto). Each
ENABLED rule whose pattern matches (EventBridge's own TestEventPattern decides) invokes its targets;
a target that is a pipeline's ARN, with a role EventBridge can assume, starts that pipeline. No rule,
no execution. A target that is an SQS queue's ARN gets the event as a message's body (no InputPath or
transformer), when the queue exists and its policy lets events.amazonaws.com send to it from that rule (the
EventBridge user guide, "Amazon SQS permissions"); otherwise the invocation fails and the event is lost, as in
AWS (only the FailedInvocations metric would tell). A CodeCommit source polling for changes
(PollForSourceChanges true, or absent: the API's default) starts its pipeline as well, rule or not.
"""

import json
import logging
import uuid

from sandbox.aws import ClientError

log = logging.getLogger("sandbox")
DEFAULT_BUS = "default"


def event(rs, source: str, detail_type: str, resources: list[str], detail: dict) -> dict:
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": detail_type,
        "source": source,
        "account": rs.account,
        "time": rs.now().strftime("%Y-%m-%dT%H:%M:%SZ"),
        "region": rs.name,
        "resources": resources,
        "detail": detail,
    }


def image_pushed(rs, repository: str, tag: str | None, digest: str | None) -> None:
    detail = {"result": "SUCCESS", "repository-name": repository, "image-digest": digest, "action-type": "PUSH"}
    if tag:
        detail["image-tag"] = tag
    deliver(rs, event(rs, "aws.ecr", "ECR Image Action", [], detail))


def reference_changed(rs, repo, branch: str, commit_id: str, old_commit_id: str | None) -> None:
    detail = {
        "callerUserArn": f"arn:aws:iam::{rs.account}:user/testing",
        "commitId": commit_id,
        "event": "referenceUpdated" if old_commit_id else "referenceCreated",
        "referenceFullName": f"refs/heads/{branch}",
        "referenceName": branch,
        "referenceType": "branch",
        "repositoryId": repo.id,
        "repositoryName": repo.name,
    }
    if old_commit_id:
        detail["oldCommitId"] = old_commit_id
    deliver(rs, event(rs, "aws.codecommit", "CodeCommit Repository State Change", [repo.arn], detail))
    _poll_codecommit(rs, repo.name, branch)


def deliver(rs, event: dict) -> None:
    from sandbox.codepipeline import start_execution

    events = rs.aws.events
    body = json.dumps(event)
    for rule in _pages(events.list_rules, "Rules", EventBusName=DEFAULT_BUS):
        if rule.get("State") != "ENABLED" or not rule.get("EventPattern"):
            continue
        if not events.test_event_pattern(EventPattern=rule["EventPattern"], Event=body)["Result"]:
            continue
        for target in _pages(events.list_targets_by_rule, "Targets", Rule=rule["Name"], EventBusName=DEFAULT_BUS):
            if target["Arn"].startswith("arn:aws:sqs:"):
                _send_to_queue(rs, rule, target["Arn"], body)
                continue
            name = _pipeline_name(rs, target["Arn"])
            if name is None:
                continue
            if not _events_can_assume(rs, target.get("RoleArn")):
                log.warning(
                    "rule %s: EventBridge cannot assume %s; pipeline %s not started",
                    rule["Name"],
                    target.get("RoleArn"),
                    name,
                )
                continue
            start_execution(rs, name, {"triggerType": "CloudWatchEvent", "triggerDetail": rule["Arn"]})


def _send_to_queue(rs, rule: dict, queue_arn: str, body: str) -> None:
    _, _, _, region, account, name = queue_arn.split(":", 5)
    sqs = rs.world.clients.get("sqs", region, account)
    try:
        url = sqs.get_queue_url(QueueName=name, QueueOwnerAWSAccountId=account)["QueueUrl"]
        policy = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["Policy"]).get("Attributes", {}).get("Policy")
    except ClientError as error:
        log.warning("rule %s: queue %s: %s; event lost", rule["Name"], queue_arn, error.response["Error"]["Code"])
        return
    if not events_may_send(policy, queue_arn, rule["Arn"]):
        log.warning("rule %s: the policy of %s does not let EventBridge send to it; event lost", rule["Name"], name)
        return
    sqs.send_message(QueueUrl=url, MessageBody=body)


def events_may_send(policy: str | None, queue_arn: str, rule_arn: str) -> bool:
    """Whether a queue policy allows events.amazonaws.com sqs:SendMessage on the queue for this rule: an Allow
    statement naming the service, the action (or sqs:*), the queue (or *), and, when it has an aws:SourceArn
    condition (ArnEquals, ArnLike, StringEquals), one that matches the rule's ARN."""
    import fnmatch

    statements = json.loads(policy or "{}").get("Statement", [])
    for statement in statements if isinstance(statements, list) else [statements]:
        principal = (statement.get("Principal") or {}) if isinstance(statement.get("Principal"), dict) else {}
        services = _listed(principal.get("Service"))
        actions, resources = _listed(statement.get("Action")), _listed(statement.get("Resource"))
        if statement.get("Effect") != "Allow" or "events.amazonaws.com" not in services:
            continue
        if not {"sqs:SendMessage", "sqs:*", "*"} & set(actions):
            continue
        if not any(fnmatch.fnmatchcase(queue_arn, r) for r in resources):
            continue
        conditions = [
            value
            for operator, keys in (statement.get("Condition") or {}).items()
            if operator in ("ArnEquals", "ArnLike", "StringEquals", "StringLike")
            for key, value in keys.items()
            if key.lower() == "aws:sourcearn"
        ]
        if all(any(fnmatch.fnmatchcase(rule_arn, v) for v in _listed(c)) for c in conditions):
            return True
    return False


def _listed(value) -> list:
    return value if isinstance(value, list) else [value] if value else []


def _pages(call, key: str, **kwargs):
    token = None
    while True:
        answer = call(**kwargs, **({"NextToken": token} if token else {}))
        yield from answer.get(key, [])
        token = answer.get("NextToken")
        if not token:
            return


def _pipeline_name(rs, arn: str) -> str | None:
    prefix = f"arn:aws:codepipeline:{rs.name}:{rs.account}:"
    name = arn[len(prefix) :] if arn.startswith(prefix) else None
    return name if name in rs.codepipeline.pipelines else None


def _events_can_assume(rs, role_arn: str | None) -> bool:
    """EventBridge invokes a CodePipeline target with the target's role, which must trust it."""
    if not role_arn:
        return False
    try:
        role = rs.aws.iam.get_role(RoleName=role_arn.rsplit("/", 1)[-1])["Role"]
    except ClientError:
        return False
    if role["Arn"] != role_arn:  # a role of another account, or another path
        return False
    trust = role.get("AssumeRolePolicyDocument") or {}
    return "events.amazonaws.com" in (trust if isinstance(trust, str) else json.dumps(trust))


def _poll_codecommit(rs, repository: str, branch: str) -> None:
    from sandbox.codepipeline import source_actions, start_execution

    for name, pipeline in list(rs.codepipeline.pipelines.items()):
        for action in source_actions(pipeline):
            config = action.get("configuration", {})
            if action["actionTypeId"]["provider"] != "CodeCommit":
                continue
            if config.get("RepositoryName") != repository or config.get("BranchName") != branch:
                continue
            if str(config.get("PollForSourceChanges", "true")).lower() == "true":
                start_execution(rs, name, {"triggerType": "PollForSourceChanges", "triggerDetail": action["name"]})
                break
