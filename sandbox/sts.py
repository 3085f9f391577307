"""sts:AssumeRole as AWS answers it, and assumed-role sessions that expire on the sandbox clock.

moto's AssumeRole hands out credentials for any ARN, even a role that does not exist. Before moto answers, the role
is looked up in its own account's IAM (moto, through the internal clients) and its trust policy is evaluated for the
caller, as IAM does (IAM user guide, "IAM JSON policy elements: Principal" and "Cross account resource access"):
`Principal.AWS` naming the caller's account (its id or `:root`), the caller's user or role ARN (an assumed-role
caller is matched by its role's ARN, or its session ARN), or `*`; `Service` and `Federated` principals never match;
an explicit Deny wins; conditions (`sts:ExternalId`, `aws:PrincipalArn`, `aws:PrincipalAccount`,
`sts:RoleSessionName`) as `iam_simulation` evaluates them. A trust policy that names the caller's account, or a
caller in another account, also needs the caller's own policies to allow `sts:AssumeRole` on the role.

The session's Expiration is now + DurationSeconds on the sandbox clock (moto's session object is stamped with it,
so it is saved with moto's state); a later request signed with it answers the expired-token error
(`wire.expired_token_error`).
"""

import json
import re
from datetime import timedelta
from urllib.parse import parse_qs, unquote

from sandbox import iam_simulation, wire

MIN_DURATION, MAX_DURATION, CHAINED_MAX = 900, 43200, 3600
ROLE_ARN = re.compile(r"arn:([\w-]+):iam::(\d{12}):role/(?:[\w+=,.@-]+/)*([\w+=,.@-]+)")
ASSUMED_ROLE = re.compile(r"arn:[\w-]+:sts::\d{12}:assumed-role/")


class Refusal(Exception):
    def __init__(self, code: str, message: str, status: int):
        super().__init__(message)
        self.code, self.message, self.status = code, message, status


def _partition(region: str) -> str:
    from moto.utilities.utils import get_partition

    return get_partition(region)


def session(account: str, region: str, access_key: str):
    """moto's assumed-role session for these credentials, or None."""
    if not access_key.startswith("ASIA"):
        return None
    from moto.sts.models import sts_backends

    return sts_backends[account][_partition(region)].get_assumed_role_from_access_key(access_key)


def expired(req, now) -> bool:
    found = session(req.account, req.region, req.access_key)
    return found is not None and found.expiration <= _naive(now)


def unknown_session(req) -> bool:
    """Temporary credentials (ASIA…) that no account issued, or that a reset forgot: AWS refuses such a key; moto
    would take it as the default account's."""
    return req.access_key.startswith("ASIA") and session(req.account, req.region, req.access_key) is None


def caller(req) -> tuple[str, str]:
    """(ARN, account) that sts:GetCallerIdentity answers for the request's credentials."""
    from moto.sts.models import sts_backends

    _, arn, account = sts_backends[req.account][_partition(req.region)].get_caller_identity(req.access_key, req.region)
    return arn, account


def check_assume_role(clients, req) -> int:
    """The session's duration in seconds, or a Refusal with AWS's error."""
    form = parse_qs(req.body.decode("utf-8", "replace"), keep_blank_values=True)
    value = lambda name: (form.get(name) or [None])[0]  # noqa: E731
    role_arn, external_id, session_name = value("RoleArn") or "", value("ExternalId"), value("RoleSessionName")
    raw = value("DurationSeconds") or str(CHAINED_MAX)
    if not raw.lstrip("-").isdigit():
        raise Refusal("ValidationError", f"Value '{raw}' at 'durationSeconds' is not a number", 400)
    duration = int(raw)
    if not MIN_DURATION <= duration <= MAX_DURATION:
        bound = f"greater than or equal to {MIN_DURATION}"
        if duration > MAX_DURATION:
            bound = f"less than or equal to {MAX_DURATION}"
        raise Refusal(
            "ValidationError",
            f"1 validation error detected: Value '{duration}' at 'durationSeconds' failed to satisfy constraint: "
            f"Member must have value {bound}",
            400,
        )
    caller_arn, caller_account = caller(req)
    chained = session(req.account, req.region, req.access_key)
    principal_arn = chained.role_arn if chained else caller_arn
    role = _role(clients, role_arn)
    context = {
        "sts:externalid": [external_id] if external_id is not None else None,
        "aws:principalarn": [principal_arn],
        "aws:principalaccount": [caller_account],
        "sts:rolesessionname": [session_name or ""],
    }
    context = {k: v for k, v in context.items() if v is not None}
    names = {"*", caller_account, f"arn:aws:iam::{caller_account}:root", caller_arn, principal_arn}
    allowed_by = _trust(role, names, caller_account, context) if role else None
    needs_identity = allowed_by == "account" or (allowed_by and role["Arn"].split(":")[4] != caller_account)
    if needs_identity and not _identity_allows(clients, caller_account, principal_arn, role_arn, context):
        allowed_by = None
    if not allowed_by:
        raise Refusal(
            "AccessDenied",
            f"User: {caller_arn} is not authorized to perform: sts:AssumeRole on resource: {role_arn}",
            403,
        )
    if ASSUMED_ROLE.match(caller_arn) and duration > CHAINED_MAX:
        raise Refusal(
            "ValidationError",
            "The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.",
            400,
        )
    if duration > int(role.get("MaxSessionDuration") or CHAINED_MAX):
        raise Refusal(
            "ValidationError", "The requested DurationSeconds exceeds the MaxSessionDuration set for this role.", 400
        )
    return duration


def _role(clients, role_arn: str) -> dict | None:
    from sandbox.aws import ClientError

    match = ROLE_ARN.fullmatch(role_arn)
    if not match:
        return None
    try:
        role = clients.get("iam", "us-east-1", match[2]).get_role(RoleName=match[3])["Role"]
    except ClientError:
        return None
    return role if role["Arn"] == role_arn else None


def _trust(role: dict, names: set[str], caller_account: str, context: dict) -> str | None:
    """How the trust policy lets the caller in: "principal" (named), "account" (its account named), or None."""
    document = role.get("AssumeRolePolicyDocument") or {}
    if isinstance(document, str):
        document = json.loads(unquote(document))
    statements = document.get("Statement", [])
    account_names = {caller_account, f"arn:aws:iam::{caller_account}:root"}
    kinds = set()
    for statement in statements if isinstance(statements, list) else [statements]:
        named = _named(statement.get("Principal"), names)
        if not named or not iam_simulation.applies(statement, "sts:AssumeRole", role["Arn"], context):
            continue
        if statement.get("Effect") == "Deny":
            return None
        if statement.get("Effect") == "Allow":
            kinds.add("account" if named <= account_names else "principal")
    return "principal" if "principal" in kinds else ("account" if kinds else None)


def _named(principal, names: set[str]) -> set[str]:
    if principal == "*":
        return {"*"}
    if not isinstance(principal, dict):
        return set()
    listed = principal.get("AWS") or []
    return set(listed if isinstance(listed, list) else [listed]) & names


def _identity_allows(clients, account: str, principal_arn: str, role_arn: str, context: dict) -> bool:
    iam = clients.get("iam", "us-east-1", account)
    try:
        statements = iam_simulation.principal_statements(iam, principal_arn)
    except iam_simulation.NoSuchEntity:
        return False
    return iam_simulation.decide(statements, "sts:AssumeRole", role_arn, context) == "allowed"


def stamp_expiration(body: bytes, account: str, region: str, expiration) -> bytes:
    """Put the sandbox clock's expiration on moto's new session and in its answer."""
    text = body.decode()
    key = re.search(r"<AccessKeyId>([^<]+)</AccessKeyId>", text)
    role_account = re.search(r"<Arn>arn:[\w-]+:sts::(\d{12}):assumed-role/", text)
    found = session(role_account[1] if role_account else account, region, key[1]) if key else None
    if found is not None:
        found.expiration = _naive(expiration)
    stamp = expiration.strftime("%Y-%m-%dT%H:%M:%SZ")
    return re.sub(r"<Expiration>[^<]*</Expiration>", f"<Expiration>{stamp}</Expiration>", text).encode()


def _naive(moment):
    from datetime import UTC

    return moment.astimezone(UTC).replace(tzinfo=None)


def expires_at(now, duration: int):
    return now.replace(microsecond=0) + timedelta(seconds=duration)


def handle(app, req, environ, start_response):
    sandbox = app.sandbox
    try:
        duration = check_assume_role(sandbox.world.clients, req)
    except Refusal as refusal:
        return wire.error_response(start_response, req, refusal.code, refusal.message, refusal.status)
    status, headers, body = app.moto_answer(environ)
    if status.startswith("200"):
        body = stamp_expiration(body, req.account, req.region, expires_at(sandbox.clock.now(), duration))
    headers = [(k, v) for k, v in headers if k.lower() != "content-length"] + [("Content-Length", str(len(body)))]
    start_response(status, headers)
    return [body]
