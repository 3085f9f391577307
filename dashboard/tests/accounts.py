"""Other AWS accounts in the sandbox, and roles there that the dashboard (account 123456789012) may assume."""

import json

import boto3

DASHBOARD_ACCOUNT = "123456789012"  # the tests' own credentials ("testing") land here, as in moto
STAGING, PRODUCTION = "222222222222", "333333333333"
ROLE = "bluegreen-dashboard"


def account_client(sandbox, account, service, region="us-east-1"):
    """A boto3 client signed by an administrator of `account`."""
    keys = sandbox.account_credentials(account)
    return boto3.client(
        service,
        region_name=region,
        endpoint_url=sandbox.endpoint_url,
        aws_access_key_id=keys["access_key_id"],
        aws_secret_access_key=keys["secret_access_key"],
    )


def trust_policy(trusted=DASHBOARD_ACCOUNT, external_id=""):
    statement = {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{trusted}:root"}, "Action": "sts:AssumeRole"}
    if external_id:
        statement["Condition"] = {"StringEquals": {"sts:ExternalId": external_id}}
    return json.dumps({"Version": "2012-10-17", "Statement": [statement]})


def trusted_role(sandbox, account, *, trusted=DASHBOARD_ACCOUNT, external_id="", name=ROLE):
    """A role in `account` that trusts `trusted` (with an external id, if given) and may do anything there, aged
    past IAM's propagation; its ARN."""
    iam = account_client(sandbox, account, "iam")
    iam.create_role(RoleName=name, AssumeRolePolicyDocument=trust_policy(trusted, external_id))
    iam.attach_role_policy(RoleName=name, PolicyArn="arn:aws:iam::aws:policy/AdministratorAccess")
    sandbox.advance(60)
    return f"arn:aws:iam::{account}:role/{name}"
