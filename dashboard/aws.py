"""The one boundary to AWS: boto3 clients built from settings, and botocore errors as the project's own.

Nothing else in the product imports boto3 or botocore.
"""

import functools
import random
import threading
import time
from dataclasses import dataclass

import boto3
import botocore
from botocore.config import Config
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
    """Where the clients point. Built from settings; a tracked target may later bring its own."""

    region: str
    profile: str = ""
    endpoint_url: str = ""

    @classmethod
    def from_settings(cls):
        return cls(settings.AWS_REGION, settings.AWS_PROFILE, settings.AWS_ENDPOINT_URL)


_lock = threading.Lock()
_clients = {}
_sessions = {}


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
            retries = {"mode": "adaptive", "max_attempts": settings.AWS_MAX_ATTEMPTS}
            config = Config(
                connect_timeout=settings.AWS_CONNECT_TIMEOUT,
                read_timeout=settings.AWS_READ_TIMEOUT,
                retries=retries if repeatable else {"mode": "standard", "total_max_attempts": 1},
                user_agent_extra="bluegreen-dashboard",
            )
            # One session per profile: the service models it loads are shared by all its clients.
            if connection.profile not in _sessions:
                _sessions[connection.profile] = boto3.session.Session(profile_name=connection.profile or None)
            _clients[key] = _sessions[connection.profile].client(
                service, region_name=connection.region, endpoint_url=connection.endpoint_url or None, config=config
            )
        return _clients[key]


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
    if is_repeatable(service, operation):
        return _answer(_send(client(service, connection), operation, params, repeatable=True))
    attempts = settings.AWS_MAX_ATTEMPTS
    for attempt in range(attempts):
        try:
            return _answer(_send(client(service, connection, repeatable=False), operation, params))
        except AwsError as error:
            if attempt + 1 == attempts or not (error.code in THROTTLING_CODES or error.code in NOT_SENT):
                raise
            time.sleep(random.uniform(0, min(20, 0.5 * 2**attempt)))  # noqa: S311 (jitter, as botocore backs off)
    raise AssertionError("unreachable")


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


def _answer(response):
    answer = AwsResponse(response)
    meta = answer.pop("ResponseMetadata", {})
    answer.request_id = meta.get("RequestId", "")
    answer.date = (meta.get("HTTPHeaders") or {}).get("date", "")
    return answer


def paginate(service, operation, key, connection=None, /, **params):
    """Every item under `key` across all pages of a listing operation (registered ones only, as `call`)."""
    lookup(service, operation)
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
