"""Other AWS accounts: credentials of an administrator IAM user in any 12-digit account (`POST /_sandbox/accounts`).

The user is made through moto's IAM in that account (the internal clients, with the account header) the first time
and the same credentials are answered afterwards; they live in the world (`World.accounts`), saved with it.
"""

import re

ADMIN_USER = "sandbox-admin"
ADMIN_POLICY = "arn:aws:iam::aws:policy/AdministratorAccess"


def credentials(world, account_id) -> dict:
    if not isinstance(account_id, str) or not re.fullmatch(r"\d{12}", account_id):
        raise ValueError("account_id must be a string of 12 digits")
    with world.lock:
        if account_id not in world.accounts:
            world.accounts[account_id] = _administrator(world.clients.get("iam", "us-east-1", account_id), account_id)
        return dict(world.accounts[account_id])


def _administrator(iam, account_id: str) -> dict:
    from sandbox.aws import ClientError

    try:
        user = iam.create_user(UserName=ADMIN_USER)["User"]
    except ClientError as error:
        if error.response["Error"]["Code"] != "EntityAlreadyExists":
            raise
        user = iam.get_user(UserName=ADMIN_USER)["User"]
    iam.attach_user_policy(UserName=ADMIN_USER, PolicyArn=ADMIN_POLICY)
    key = iam.create_access_key(UserName=ADMIN_USER)["AccessKey"]
    return {
        "account_id": account_id,
        "access_key_id": key["AccessKeyId"],
        "secret_access_key": key["SecretAccessKey"],
        "arn": user["Arn"],
    }
