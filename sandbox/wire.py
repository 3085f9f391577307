"""What an incoming AWS request is (service, operation, region) and how to answer one.

Knows the four wire protocols the sandbox meets: JSON (X-Amz-Target), Smithy RPC v2 CBOR
(`/service/<prefix>/operation/<Op>`, used by botocore for CodeDeploy and CodePipeline),
query (ELBv2, IAM, STS, EC2) and REST-XML (S3).
"""

import json
import os
import uuid
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import parse_qs

from sandbox import cbor

INTERNAL_AGENT_MARK = "sandbox-internal"
DEFAULT_ACCOUNT = "123456789012"  # moto's DEFAULT_ACCOUNT_ID: the account of any access key moto did not issue
ACCOUNT_HEADER = "x-moto-account-id"  # moto acts in this account whatever the access key says

# X-Amz-Target / RPC v2 prefixes and the boto3 client name they belong to.
TARGET_SERVICES = {
    "CodeDeploy_20141006": "codedeploy",
    "CodePipeline_20150709": "codepipeline",
    "CodeCommit_20150413": "codecommit",
    "AmazonEC2ContainerServiceV20141113": "ecs",
    "AmazonEC2ContainerRegistry_V20150921": "ecr",
}
# Signing names that differ from boto3 client names.
SIGNING_TO_CLIENT = {"elasticloadbalancing": "elbv2", "monitoring": "cloudwatch", "events": "events"}


@dataclass
class AwsRequest:
    service: str  # boto3 client name: codedeploy, ecs, elbv2, s3, ...
    operation: str  # AWS operation name: GetDeployment, PutObject, ...
    region: str
    protocol: str  # json | cbor | query | ec2 | rest-xml
    target_prefix: str | None
    body: bytes
    internal: bool
    access_key: str = ""
    account: str = DEFAULT_ACCOUNT


def read_request(environ: dict) -> AwsRequest:
    """Classify a request; buffers the body (except for S3) so it can be read again downstream."""
    path = environ.get("PATH_INFO", "") or "/"
    method = environ.get("REQUEST_METHOD", "GET")
    auth = environ.get("HTTP_AUTHORIZATION", "")
    if not auth and "X-Amz-Credential=" in environ.get("QUERY_STRING", ""):  # a presigned URL
        credential = parse_qs(environ["QUERY_STRING"]).get("X-Amz-Credential", [""])[0]
        auth = f"Credential={credential},"
    access_key, signing, region = _credential_scope(auth)
    agent = environ.get("HTTP_USER_AGENT", "")
    internal = INTERNAL_AGENT_MARK in agent
    who = {"access_key": access_key, "account": account_of(environ, access_key)}

    target = environ.get("HTTP_X_AMZ_TARGET", "")
    body = b""
    if signing != "s3":
        body = _buffer_body(environ)

    if target and "." in target:
        prefix, operation = target.split(".", 1)
        service = TARGET_SERVICES.get(prefix) or SIGNING_TO_CLIENT.get(signing, signing) or prefix.lower()
        return AwsRequest(service, operation, region, "json", prefix, body, internal, **who)
    if path.startswith("/service/") and "/operation/" in path:
        parts = path.strip("/").split("/")
        prefix, operation = parts[1], parts[-1]
        service = TARGET_SERVICES.get(prefix) or SIGNING_TO_CLIENT.get(signing, signing) or prefix.lower()
        return AwsRequest(service, operation, region, "cbor", prefix, body, internal, **who)
    if signing == "s3" or not signing and not body:
        operation = _s3_operation(method, path, environ)
        return AwsRequest("s3", operation, region, "rest-xml", None, b"", internal, **who)

    form = parse_qs(body.decode("utf-8", "replace")) if body else {}
    query = parse_qs(environ.get("QUERY_STRING", ""))
    action = (form.get("Action") or query.get("Action") or ["Unknown"])[0]
    version = (form.get("Version") or query.get("Version") or [""])[0]
    service = SIGNING_TO_CLIENT.get(signing, signing)
    if signing == "elasticloadbalancing" and version == "2012-06-01":
        service = "elb"
    protocol = "ec2" if signing == "ec2" else "query"
    return AwsRequest(service or "unknown", action, region, protocol, None, body, internal, **who)


def account_of(environ: dict, access_key: str) -> str:
    """The account moto acts in for this request: MOTO_ACCOUNT_ID, the account header, else the access key's."""
    from moto.iam.models import get_account_id_from

    return os.environ.get("MOTO_ACCOUNT_ID") or environ.get("HTTP_X_MOTO_ACCOUNT_ID") or get_account_id_from(access_key)


def _credential_scope(auth: str) -> tuple[str, str, str]:
    # "AWS4-HMAC-SHA256 Credential=testing/20240101/us-east-1/codedeploy/aws4_request, ..."
    try:
        scope = auth.split("Credential=", 1)[1].split(",", 1)[0]
        key, _, region, service, _ = scope.split("/")
        return key, service.lower(), region
    except (IndexError, ValueError):
        return "", "", "us-east-1"


def _buffer_body(environ: dict) -> bytes:
    import io

    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    stream = environ.get("wsgi.input")
    if stream is None:
        return b""
    if length:
        body = stream.read(length)
    elif environ.get("wsgi.input_terminated"):
        body = stream.read()
    else:
        body = b""
    environ["wsgi.input"] = io.BytesIO(body)
    environ["CONTENT_LENGTH"] = str(len(body))
    return body


def _s3_operation(method: str, path: str, environ: dict) -> str:
    query = parse_qs(environ.get("QUERY_STRING", ""), keep_blank_values=True)
    parts = [p for p in path.split("/") if p]
    host = environ.get("HTTP_HOST", "")
    virtual_host = host.count(".") >= 3 and ".s3" in host
    on_object = len(parts) >= (1 if virtual_host else 2)
    if not parts and not virtual_host:
        return "ListBuckets"
    sub = next((k for k in ("versioning", "versions", "tagging", "policy", "acl", "uploads") if k in query), "")
    if sub:
        verb = {"GET": "Get", "PUT": "Put", "DELETE": "Delete", "POST": "Post"}.get(method, method.title())
        name = {"versions": "ObjectVersions", "uploads": "MultipartUpload"}.get(sub, sub.title())
        if sub == "versions":
            return "ListObjectVersions"
        return f"{verb}{'Object' if on_object and sub in ('tagging', 'acl') else 'Bucket'}{name}"
    if on_object:
        return {"GET": "GetObject", "PUT": "PutObject", "HEAD": "HeadObject", "DELETE": "DeleteObject"}.get(
            method, f"{method.title()}Object"
        )
    return {
        "GET": "ListObjectsV2" if query.get("list-type") == ["2"] else "ListObjects",
        "PUT": "CreateBucket",
        "HEAD": "HeadBucket",
        "DELETE": "DeleteBucket",
        "POST": "DeleteObjects",
    }.get(method, f"{method.title()}Bucket")


# ---- answers -------------------------------------------------------------------------------------


def _plain(value):
    """Drop None values; datetimes stay datetimes (each encoder handles them)."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items() if v is not None}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def _json_default(value):
    if isinstance(value, datetime):
        return round(value.timestamp(), 3)
    if isinstance(value, bytes | bytearray):
        import base64

        return base64.b64encode(bytes(value)).decode()
    raise TypeError(f"not JSON serializable: {type(value).__name__}")


def encode_body(protocol: str, data: dict) -> tuple[bytes, list[tuple[str, str]]]:
    headers = [("x-amzn-RequestId", str(uuid.uuid4()))]
    if protocol == "cbor":
        headers += [("Content-Type", "application/cbor"), ("smithy-protocol", "rpc-v2-cbor")]
        return cbor.encode(_plain(data)), headers
    headers.append(("Content-Type", "application/x-amz-json-1.1"))
    return json.dumps(_plain(data), default=_json_default).encode(), headers


def decode_body(protocol: str, body: bytes):
    if protocol == "cbor":
        return cbor.decode(body)
    return json.loads(body.decode() or "{}") if body.strip() else {}


REASONS = {200: "OK", 400: "Bad Request", 403: "Forbidden", 404: "Not Found", 500: "Internal Server Error"}


def respond(start_response, status: int, body: bytes, headers: list[tuple[str, str]]):
    reason = {**REASONS, 503: "Slow Down"}
    start_response(f"{status} {reason.get(status, 'Status')}", headers + [("Content-Length", str(len(body)))])
    return [body]


def error_response(start_response, req: AwsRequest, code: str, message: str, status: int = 400):
    """An AWS error in the shape each protocol's botocore parser expects."""
    request_id = str(uuid.uuid4())
    if req.protocol in ("json", "cbor"):
        body, headers = encode_body(req.protocol, {"__type": code, "message": message})
        headers = [h for h in headers if h[0] != "x-amzn-RequestId"] + [("x-amzn-RequestId", request_id)]
        if req.protocol == "json":
            headers.append(("x-amzn-ErrorType", code))
        return respond(start_response, status, body, headers)
    if req.protocol == "ec2":
        xml = (
            f"<?xml version='1.0' encoding='UTF-8'?><Response><Errors><Error><Code>{code}</Code>"
            f"<Message>{message}</Message></Error></Errors><RequestID>{request_id}</RequestID></Response>"
        )
    elif req.protocol == "rest-xml":
        xml = (
            f"<?xml version='1.0' encoding='UTF-8'?><Error><Code>{code}</Code><Message>{message}</Message>"
            f"<RequestId>{request_id}</RequestId></Error>"
        )
    else:
        xml = (
            f"<ErrorResponse><Error><Type>Sender</Type><Code>{code}</Code><Message>{message}</Message>"
            f"</Error><RequestId>{request_id}</RequestId></ErrorResponse>"
        )
    return respond(start_response, status, xml.encode(), [("Content-Type", "text/xml")])


def expired_token_error(req: AwsRequest) -> tuple[str, str, int]:
    """What AWS answers a request signed with expired temporary credentials, per protocol (see README)."""
    if req.protocol in ("json", "cbor"):
        return "ExpiredTokenException", "The security token included in the request is expired", 400
    if req.protocol == "ec2":
        return "RequestExpired", "Request has expired.", 400
    if req.protocol == "rest-xml":
        return "ExpiredToken", "The provided token has expired.", 400
    return "ExpiredToken", "The security token included in the request is expired", 403


def invalid_token_error(req: AwsRequest) -> tuple[str, str, int]:
    """What AWS answers a request signed with an access key it does not know, per protocol (see README)."""
    if req.protocol in ("json", "cbor"):
        return "UnrecognizedClientException", "The security token included in the request is invalid.", 400
    if req.protocol == "ec2":
        return "AuthFailure", "AWS was not able to validate the provided access credentials", 401
    if req.protocol == "rest-xml":
        return "InvalidAccessKeyId", "The AWS Access Key Id you provided does not exist in our records.", 403
    return "InvalidClientTokenId", "The security token included in the request is invalid.", 403


def throttling_code(req: AwsRequest) -> tuple[str, int]:
    """AWS's real throttling error per protocol (each is one botocore retries as throttling)."""
    if req.protocol in ("json", "cbor"):
        return "ThrottlingException", 400
    if req.protocol == "ec2":
        return "RequestLimitExceeded", 503
    if req.protocol == "rest-xml":
        return "SlowDown", 503
    return "Throttling", 400
