"""The one boundary to AWS: boto3 clients built from settings, and botocore errors as the project's own.

Nothing else in the product imports boto3 or botocore.
"""

import contextlib
import functools
import logging
import random
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime

import boto3
import botocore
import botocore.session
from botocore.config import Config
from botocore.credentials import CredentialProvider, CredentialResolver, DeferredRefreshableCredentials
from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    ConnectionError,
    ConnectTimeoutError,
    EndpointConnectionError,
    HTTPClientError,
)
from botocore.loaders import create_loader
from botocore.model import ServiceModel
from django.conf import settings

from .aws_operations import UnregisteredOperation, lookup  # noqa: F401 (aws.UnregisteredOperation for callers)

log = logging.getLogger(__name__)
RETRYABLE_CODES = {
    "Throttling",
    "ThrottlingException",
    "ThrottledException",
    "RequestLimitExceeded",
    "TooManyRequestsException",
    "RequestThrottled",
    "RequestThrottledException",
    "ServiceUnavailable",
    "ServiceUnavailableException",
    "InternalError",
    "InternalFailure",
    "InternalServerError",
    "InternalServiceError",
    "RequestTimeout",
    "RequestTimeoutException",
}
# Refusals before AWS did anything: a call that changes something may be sent again after one of these.
THROTTLING_CODES = {code for code in RETRYABLE_CODES if "Thrott" in code or "Limit" in code or "TooMany" in code}
NOT_SENT = {"EndpointConnectionError", "ConnectTimeoutError"}  # the connection never opened
# AWS's refusals of a session past its expiration, or one it no longer knows (EC2 says RequestExpired, S3
# InvalidAccessKeyId): an assumed role's session is renewed and the call sent once more.
RENEW_CODES = {"ExpiredToken", "ExpiredTokenException", "RequestExpired", "InvalidClientTokenId"}
RENEW_CODES |= {"UnrecognizedClientException", "InvalidAccessKeyId"}
# Failures of the connection itself (its credentials, the role it assumes, the way to AWS), not of what was asked.
CONNECTION_CODES = RENEW_CODES | {"AccessDenied", "AccessDeniedException", "UnauthorizedOperation", "AuthFailure"}
CONNECTION_CODES |= {"SignatureDoesNotMatch", "EndpointConnectionError", "ConnectTimeoutError"}
READ_PREFIXES = ("Describe", "Get", "List", "BatchGet", "Head", "Simulate", "TestEventPattern")


class AwsError(Exception):
    """A failed AWS call: AWS's error code, message and request id, and whether trying again may help."""

    def __init__(self, code, message, *, operation="", request_id="", retryable=False, outcome_unknown=False):
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.operation = operation
        self.request_id = request_id
        self.retryable = retryable
        # A call that changes something, sent, whose answer never came (a read timeout, a dropped connection, a
        # 5xx): AWS may or may not have applied it. Only AWS's state can tell.
        self.outcome_unknown = outcome_unknown

    @property
    def about_the_connection(self):
        return self.operation == "AssumeRole" or self.code in CONNECTION_CODES

    def as_dict(self):
        return {
            "code": self.code,
            "message": self.message,
            "operation": self.operation,
            "request_id": self.request_id,
            "retryable": self.retryable,
            "outcome_unknown": self.outcome_unknown,
        }


@dataclass(frozen=True)
class Connection:
    """Where the clients point and whose credentials they sign with: the default chain, a named profile, or a
    role assumed with either (`role_arn`, with its external id, session name and duration)."""

    region: str
    profile: str = ""
    endpoint_url: str = ""
    role_arn: str = ""
    external_id: str = ""
    session_name: str = "bluegreen-dashboard"
    duration_seconds: int = 3600
    connection_id: int | None = None  # the dashboard's AwsConnection it comes from, if any

    @classmethod
    def from_settings(cls):
        return cls(settings.AWS_REGION, settings.AWS_PROFILE, settings.AWS_ENDPOINT_URL)

    @property
    def credentials_key(self):
        """What decides the credentials (one session each): not the region."""
        return (
            self.profile,
            self.endpoint_url,
            self.role_arn,
            self.external_id,
            self.session_name,
            self.duration_seconds,
        )


_lock = threading.Lock()
_clients = {}
_sessions = {}
_clock_offsets = {}  # endpoint → seconds AWS's clock is ahead of ours, from its latest answer's Date header


class AwsResponse(dict):
    """An AWS answer without its ResponseMetadata, keeping AWS's request id for the audit history and the Date
    header of its answer (AWS's clock, to the second) for measuring how far AWS's clock is from ours."""

    request_id = ""
    date = ""


def client(service, connection=None, *, repeatable=True):
    """A boto3 client, built once per process and connection (clients are thread-safe; sessions are not).
    `repeatable=False` gives one that never sends a request twice (botocore would, after a timeout)."""
    connection = connection or Connection.from_settings()
    key = (service, connection, repeatable)
    with _lock:
        if key not in _clients:
            _clients[key] = _session(connection).client(
                service,
                region_name=connection.region,
                endpoint_url=connection.endpoint_url or None,
                config=_config(repeatable),
            )
        return _clients[key]


def _config(repeatable=True):
    retries = {"mode": "adaptive", "max_attempts": settings.AWS_MAX_ATTEMPTS}
    return Config(
        connect_timeout=settings.AWS_CONNECT_TIMEOUT,
        read_timeout=settings.AWS_READ_TIMEOUT,
        retries=retries if repeatable else {"mode": "standard", "total_max_attempts": 1},
        user_agent_extra="bluegreen-dashboard",
    )


def _session(connection):
    """One session per credentials (the service models it loads are shared by all its clients); a role's
    session signs with credentials that botocore refreshes before they expire. Called under `_lock`."""
    key = connection.credentials_key
    if key not in _sessions:
        session = boto3.session.Session(profile_name=connection.profile or None)
        if connection.role_arn:
            source = session.client(
                "sts", region_name=connection.region, endpoint_url=connection.endpoint_url or None, config=_config()
            )
            credentials = DeferredRefreshableCredentials(
                refresh_using=functools.partial(_assume_role, source, connection),
                method="assume-role",
                time_fetcher=functools.partial(aws_now, connection.endpoint_url),
            )
            signer = botocore.session.Session(profile=connection.profile or None)
            signer.register_component("credential_provider", CredentialResolver([_Given(credentials)]))
            session = boto3.session.Session(botocore_session=signer)
        _sessions[key] = session
    return _sessions[key]


class _Given(CredentialProvider):
    METHOD = "assume-role"

    def __init__(self, credentials):
        super().__init__()
        self._credentials = credentials

    def load(self):
        return self._credentials


def _assume_role(source, connection):
    """botocore's refresh: a new session of the connection's role, its expiry read on AWS's clock."""
    params = {
        "RoleArn": connection.role_arn,
        "RoleSessionName": connection.session_name,
        "DurationSeconds": connection.duration_seconds,
    }
    if connection.external_id:
        params["ExternalId"] = connection.external_id
    lookup("sts", "assume_role")
    answer = source.assume_role(**params)
    _note_clock(connection.endpoint_url, answer)
    granted = answer["Credentials"]
    return {
        "access_key": granted["AccessKeyId"],
        "secret_key": granted["SecretAccessKey"],
        "token": granted["SessionToken"],
        "expiry_time": granted["Expiration"].isoformat(),
    }


def aws_now(endpoint_url=""):
    """AWS's time as its answers' Date headers put it: credentials expire on AWS's clock, not ours."""
    return datetime.now(UTC) + timedelta(seconds=_clock_offsets.get(endpoint_url, 0.0))


def _note_clock(endpoint_url, response):
    date = (response.get("ResponseMetadata", {}).get("HTTPHeaders") or {}).get("date")
    if date:
        with contextlib.suppress(TypeError, ValueError):
            _clock_offsets[endpoint_url] = (parsedate_to_datetime(date) - datetime.now(UTC)).total_seconds()


@functools.cache
def is_repeatable(service, operation):
    """A read, or a change AWS recognises when it comes again (an idempotency token in botocore's model, which
    botocore fills in once per call and keeps across its retries). The model is the same for every connection."""
    model = ServiceModel(create_loader().load_service_model(service, "service-2"), service)  # no profile read
    api_name = next(name for name in model.operation_names if botocore.xform_name(name) == operation)
    return api_name.startswith(READ_PREFIXES) or bool(model.operation_model(api_name).idempotent_members)


def call(service, operation, connection=None, /, **params):
    """Call one AWS operation; any failure is raised as AwsError. Positional-only, so that an operation's
    own parameters (ECS's `service`, say) pass through untouched. Only operations in the registry
    (`aws_operations`) may be called: anything else raises UnregisteredOperation.

    A change that AWS would not recognise if it came twice is sent once: again only after AWS refused it
    unapplied (throttling) or the connection never opened; a lost answer raises AwsError(outcome_unknown=True)."""
    lookup(service, operation)
    connection = connection or Connection.from_settings()
    return _renewing(connection, _call, service, operation, connection, params)


def _call(service, operation, connection, params):
    if is_repeatable(service, operation):
        return _answer(connection, _send(client(service, connection), operation, params, repeatable=True))
    attempts = settings.AWS_MAX_ATTEMPTS
    for attempt in range(attempts):
        try:
            return _answer(connection, _send(client(service, connection, repeatable=False), operation, params))
        except AwsError as error:
            if attempt + 1 == attempts or not (error.code in THROTTLING_CODES or error.code in NOT_SENT):
                raise
            time.sleep(random.uniform(0, min(20, 0.5 * 2**attempt)))  # noqa: S311 (jitter, as botocore backs off)
    raise AssertionError("unreachable")


def _renewing(connection, send, *args):
    """Send; when AWS refuses an assumed role's session as expired (a clock that jumped, a session cut short) or
    unknown, renew the session and send once more: such a request is refused before anything is done."""
    try:
        return send(*args)
    except AwsError as error:
        if not connection.role_arn or error.code not in RENEW_CODES:
            raise
        log.warning(
            "%s: the session of %s was refused as expired or unknown; renewing it", error.operation, connection.role_arn
        )
        with _lock:
            key = connection.credentials_key
            _sessions.pop(key, None)
            for cached in [k for k in _clients if k[1].credentials_key == key]:
                del _clients[cached]
        return send(*args)


def _send(boto_client, operation, params, repeatable=False):
    try:
        return getattr(boto_client, operation)(**params)
    except ClientError as error:
        raised = as_aws_error(error, operation)
        raised.outcome_unknown = not repeatable and _status(error) >= 500
        raise raised from error
    except (EndpointConnectionError, ConnectTimeoutError) as error:  # the request never went out
        raise AwsError(type(error).__name__, str(error), operation=operation, retryable=True) from error
    except (ConnectionError, HTTPClientError) as error:  # ReadTimeoutError, ConnectionClosedError: it went out
        unknown = not repeatable
        raise AwsError(
            type(error).__name__, str(error), operation=operation, retryable=True, outcome_unknown=unknown
        ) from error
    except BotoCoreError as error:
        raise AwsError(type(error).__name__, str(error), operation=operation) from error


def _answer(connection, response):
    _note_clock(connection.endpoint_url, response)
    answer = AwsResponse(response)
    meta = answer.pop("ResponseMetadata", {})
    answer.request_id = meta.get("RequestId", "")
    answer.date = (meta.get("HTTPHeaders") or {}).get("date", "")
    return answer


def paginate(service, operation, key, connection=None, /, **params):
    """Every item under `key` across all pages of a listing operation (registered ones only, as `call`)."""
    lookup(service, operation)
    connection = connection or Connection.from_settings()
    return _renewing(connection, _paginate, service, operation, key, connection, params)


def _paginate(service, operation, key, connection, params):
    paginator = client(service, connection).get_paginator(operation)
    items = []
    try:
        for page in paginator.paginate(**params):
            items.extend(page.get(key, []))
    except ClientError as error:
        raise as_aws_error(error, operation) from error
    except BotoCoreError as error:
        raise AwsError(type(error).__name__, str(error), operation=operation, retryable=True) from error
    return items


def as_aws_error(error, operation=""):
    info = error.response.get("Error", {})
    meta = error.response.get("ResponseMetadata", {})
    code = info.get("Code") or "Unknown"
    status = _status(error)
    return AwsError(
        code,
        info.get("Message") or str(error),
        operation=getattr(error, "operation_name", "") or operation,
        request_id=meta.get("RequestId", ""),
        retryable=code in RETRYABLE_CODES or status >= 500,
    )


def _status(error):
    return error.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0


def reset_clients():
    """Forget cached clients (after settings change, as in tests)."""
    with _lock:
        _clients.clear()
        _sessions.clear()
        _clock_offsets.clear()
