"""IAM SimulatePrincipalPolicy, which moto does not implement: the principal's real policies, read through
moto's public IAM API with the sandbox's internal clients, evaluated the way IAM evaluates identity policies.

Covered: a user's attached and inline policies and those of its groups; a role's (or group's) attached and
inline policies; Action / NotAction and Resource / NotResource with IAM wildcards (`*`, `?`; actions match
case-insensitively); String / Arn condition operators (with IfExists) against the request's ContextEntries;
an explicit Deny wins. Not covered (say so when it matters): permissions boundaries, SCPs, resource policies,
other condition operators (a statement with one never applies).

A principal that is not an IAM entity answers NoSuchEntity, as AWS does, except moto's default identity
(`…:user/moto`, what STS answers for credentials moto did not issue): moto lets it call everything, so the
simulation says so too, and the demo's permissions pre-flight reads "all allowed" rather than a fallback.
"""

import fnmatch
import json
import re
import uuid
from urllib.parse import parse_qs, unquote
from xml.sax.saxutils import escape

from sandbox import wire

MOTO_DEFAULT_USER = re.compile(r"^arn:[\w-]+:(?:sts|iam)::\d{12}:user/moto$")
ADMINISTRATOR = [{"Effect": "Allow", "Action": "*", "Resource": "*"}]
DEFAULT_MAX_ITEMS = 100  # AWS's default page size for this operation
NAMESPACE = "https://iam.amazonaws.com/doc/2010-05-08/"


class NoSuchEntity(Exception):
    pass


def handle(clients, req, start_response):
    form = parse_qs(req.body.decode("utf-8", "replace"), keep_blank_values=True)
    value = lambda name, default="": form.get(name, [default])[0]  # noqa: E731
    source = value("PolicySourceArn")
    actions = _members(form, "ActionNames")
    resources = _members(form, "ResourceArns") or ["*"]
    context = _context(form)
    if not source or not actions:
        return wire.error_response(start_response, req, "InvalidInput", "PolicySourceArn and ActionNames are required.")
    iam = clients.get("iam", "us-east-1", req.account)
    caller = caller_arn(req)
    try:
        allowed = decide(principal_statements(iam, caller), "iam:SimulatePrincipalPolicy", source, {})
    except NoSuchEntity:
        allowed = "implicitDeny"
    if allowed != "allowed":
        message = f"User: {caller} is not authorized to perform: iam:SimulatePrincipalPolicy on resource: {source}" + (
            " with an explicit deny" if allowed == "explicitDeny" else " because no identity-based policy allows it"
        )
        return wire.error_response(start_response, req, "AccessDenied", message, 403)
    owner = re.match(r"arn:[\w-]+:iam::(\d{12}):", source)
    try:
        statements = principal_statements(clients.get("iam", "us-east-1", owner[1]) if owner else iam, source)
    except NoSuchEntity as missing:
        return wire.error_response(start_response, req, "NoSuchEntity", str(missing), 404)
    results = [(a, r, decide(statements, a, r, context)) for a in actions for r in resources]
    start = int(value("Marker") or 0)
    size = int(value("MaxItems") or DEFAULT_MAX_ITEMS)
    page = results[start : start + size]
    more = start + size < len(results)
    members = "".join(
        f"<member><EvalActionName>{escape(a)}</EvalActionName><EvalResourceName>{escape(r)}</EvalResourceName>"
        f"<EvalDecision>{d}</EvalDecision><MatchedStatements/><MissingContextValues/></member>"
        for a, r, d in page
    )
    marker = f"<Marker>{start + size}</Marker>" if more else ""
    xml = (
        f'<SimulatePrincipalPolicyResponse xmlns="{NAMESPACE}"><SimulatePrincipalPolicyResult>'
        f"<IsTruncated>{str(more).lower()}</IsTruncated><EvaluationResults>{members}</EvaluationResults>{marker}"
        f"</SimulatePrincipalPolicyResult><ResponseMetadata><RequestId>{uuid.uuid4()}</RequestId>"
        f"</ResponseMetadata></SimulatePrincipalPolicyResponse>"
    )
    return wire.respond(start_response, 200, xml.encode(), [("Content-Type", "text/xml")])


def _members(form, name):
    found = sorted(
        (int(k.rsplit(".", 1)[1]), v[0]) for k, v in form.items() if re.fullmatch(rf"{name}\.member\.\d+", k)
    )
    return [v for _, v in found]


def _context(form):
    context = {}
    for key in form:
        match = re.fullmatch(r"ContextEntries\.member\.(\d+)\.ContextKeyName", key)
        if match:
            values = _members(form, f"ContextEntries\\.member\\.{match.group(1)}\\.ContextKeyValues")
            context[form[key][0].lower()] = values
    return context


def caller_arn(req):
    """Who signed the request (moto does not check the signature): STS's answer for its access key, an assumed
    role as the role itself."""
    from sandbox import sts

    found = sts.session(req.account, req.region, req.access_key)
    return found.role_arn if found else sts.caller(req)[0]


# ---- the principal's policies ------------------------------------------------------------------------------


def principal_statements(iam, arn):
    if MOTO_DEFAULT_USER.match(arn):
        try:
            return _user_statements(iam, "moto")
        except NoSuchEntity:
            return ADMINISTRATOR
    match = re.fullmatch(r"arn:[\w-]+:iam::\d{12}:(user|role|group)/(?:.*/)?([\w+=,.@-]+)", arn)
    if not match:
        raise NoSuchEntity(f"The principal {arn} is not an IAM user, group or role.")
    kind, name = match.groups()
    if kind == "user":
        return _user_statements(iam, name)
    if kind == "role":
        _exists(lambda: iam.get_role(RoleName=name), f"The role with name {name} cannot be found.")
        return _entity_statements(iam, "role", name)
    _exists(lambda: iam.get_group(GroupName=name), f"The group with name {name} cannot be found.")
    return _entity_statements(iam, "group", name)


def _user_statements(iam, name):
    _exists(lambda: iam.get_user(UserName=name), f"The user with name {name} cannot be found.")
    statements = _entity_statements(iam, "user", name)
    for group in iam.list_groups_for_user(UserName=name)["Groups"]:
        statements += _entity_statements(iam, "group", group["GroupName"])
    return statements


def _exists(get, message):
    try:
        get()
    except iam_error() as error:
        if error.response.get("Error", {}).get("Code") == "NoSuchEntity":
            raise NoSuchEntity(message) from error
        raise


def iam_error():
    from sandbox.aws import ClientError

    return ClientError


def _entity_statements(iam, kind, name):
    title = kind.capitalize()
    key = {f"{title}Name": name}
    documents = []
    for attached in iam.get_paginator(f"list_attached_{kind}_policies").paginate(**key):
        for policy in attached["AttachedPolicies"]:
            version = iam.get_policy(PolicyArn=policy["PolicyArn"])["Policy"]["DefaultVersionId"]
            found = iam.get_policy_version(PolicyArn=policy["PolicyArn"], VersionId=version)
            documents.append(found["PolicyVersion"]["Document"])
    for inline in iam.get_paginator(f"list_{kind}_policies").paginate(**key):
        for policy_name in inline["PolicyNames"]:
            found = getattr(iam, f"get_{kind}_policy")(**key, PolicyName=policy_name)
            documents.append(found["PolicyDocument"])
    statements = []
    for document in documents:
        if isinstance(document, str):
            document = json.loads(unquote(document))
        found = document.get("Statement", [])
        statements += found if isinstance(found, list) else [found]
    return statements


# ---- evaluation --------------------------------------------------------------------------------------------


def decide(statements, action, resource, context):
    allowed = False
    for statement in statements:
        if not applies(statement, action, resource, context):
            continue
        if statement.get("Effect") == "Deny":
            return "explicitDeny"
        allowed = allowed or statement.get("Effect") == "Allow"
    return "allowed" if allowed else "implicitDeny"


def applies(statement, action, resource, context):
    if "Action" in statement:
        if not _any(statement["Action"], action, ignore_case=True):
            return False
    elif "NotAction" not in statement or _any(statement["NotAction"], action, ignore_case=True):
        return False
    if "Resource" in statement:
        if not _any(statement["Resource"], resource):
            return False
    elif "NotResource" in statement and _any(statement["NotResource"], resource):
        return False
    return all(
        _condition(op, key, want, context)
        for op, keys in statement.get("Condition", {}).items()
        for key, want in keys.items()
    )


def _any(patterns, value, ignore_case=False):
    patterns = patterns if isinstance(patterns, list) else [patterns]
    return any(_wildcard(pattern, value, ignore_case) for pattern in patterns)


def _wildcard(pattern, value, ignore_case=False):
    regex = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.fullmatch(regex, value, re.IGNORECASE | re.DOTALL if ignore_case else re.DOTALL) is not None


def _condition(operator, key, wanted, context):
    wanted = [str(w) for w in (wanted if isinstance(wanted, list) else [wanted])]
    base = operator.removesuffix("IfExists")
    if base not in {
        "StringEquals",
        "StringLike",
        "StringNotEquals",
        "StringNotLike",
        "ArnEquals",
        "ArnLike",
        "ArnNotEquals",
        "ArnNotLike",
        "StringEqualsIgnoreCase",
    }:
        return False  # not emulated: the statement does not apply
    values = context.get(key.lower())
    if values is None:
        return operator.endswith("IfExists") or "Not" in base
    if base == "StringEqualsIgnoreCase":
        match = any(v.lower() == w.lower() for v in values for w in wanted)
    elif base in ("StringEquals", "StringNotEquals", "ArnEquals", "ArnNotEquals"):
        match = any(v == w for v in values for w in wanted)
    else:
        match = any(fnmatch.fnmatchcase(v, w) for v in values for w in wanted)
    return not match if "Not" in base else match
