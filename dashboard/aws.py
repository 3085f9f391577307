"""The one boundary to AWS: boto3 clients built from settings, and botocore errors as the project's own.

Nothing else in the product imports boto3 or botocore.
"""

import threading
from dataclasses import dataclass

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError, ConnectionError, ReadTimeoutError
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


class AwsError(Exception):
    """A failed AWS call: AWS's error code, message and request id, and whether trying again may help."""

    def __init__(self, code, message, *, operation="", request_id="", retryable=False):
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.operation = operation
        self.request_id = request_id
        self.retryable = retryable

    def as_dict(self):
        return {
            "code": self.code,
            "message": self.message,
            "operation": self.operation,
            "request_id": self.request_id,
            "retryable": self.retryable,
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


def client(service, connection=None):
    """A boto3 client, built once per process and connection (clients are thread-safe; sessions are not)."""
    connection = connection or Connection.from_settings()
    key = (service, connection)
    with _lock:
        if key not in _clients:
            config = Config(
                connect_timeout=settings.AWS_CONNECT_TIMEOUT,
                read_timeout=settings.AWS_READ_TIMEOUT,
                retries={"mode": "adaptive", "max_attempts": settings.AWS_MAX_ATTEMPTS},
                user_agent_extra="bluegreen-dashboard",
            )
            # One session per profile: the service models it loads are shared by all its clients.
            if connection.profile not in _sessions:
                _sessions[connection.profile] = boto3.session.Session(profile_name=connection.profile or None)
            _clients[key] = _sessions[connection.profile].client(
                service, region_name=connection.region, endpoint_url=connection.endpoint_url or None, config=config
            )
        return _clients[key]


def call(service, operation, connection=None, /, **params):
    """Call one AWS operation; any failure is raised as AwsError. Positional-only, so that an operation's
    own parameters (ECS's `service`, say) pass through untouched. Only operations in the registry
    (`aws_operations`) may be called: anything else raises UnregisteredOperation."""
    lookup(service, operation)
    try:
        response = getattr(client(service, connection), operation)(**params)
    except ClientError as error:
        raise as_aws_error(error, operation) from error
    except (ConnectionError, ReadTimeoutError) as error:
        raise AwsError(type(error).__name__, str(error), operation=operation, retryable=True) from error
    except BotoCoreError as error:
        raise AwsError(type(error).__name__, str(error), operation=operation) from error
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
    status = meta.get("HTTPStatusCode") or 0
    return AwsError(
        code,
        info.get("Message") or str(error),
        operation=getattr(error, "operation_name", "") or operation,
        request_id=meta.get("RequestId", ""),
        retryable=code in RETRYABLE_CODES or status >= 500,
    )


def reset_clients():
    """Forget cached clients (after settings change, as in tests)."""
    with _lock:
        _clients.clear()
        _sessions.clear()
