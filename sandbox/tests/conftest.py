"""Fixtures: one sandbox per test session (manual clock), reset before every test."""

import boto3
import pytest
from botocore.config import Config

from sandbox.testing import run_sandbox


@pytest.fixture(autouse=True)
def fast_password_hashing():
    """The sandbox tests need no Django: this replaces the project-wide autouse fixture that needs it."""


@pytest.fixture(scope="session")
def sandbox():
    with run_sandbox(manual_clock=True) as running:
        yield running


@pytest.fixture(scope="session")
def boto_session():
    return boto3.session.Session(aws_access_key_id="testing", aws_secret_access_key="testing", region_name="us-east-1")


class Clients:
    """Plain boto3 clients for the sandbox, made on first use: aws.ecs, aws.codedeploy, ..."""

    def __init__(self, sandbox, session, cache):
        self.sandbox = sandbox
        self.session = session
        self.endpoint_url = sandbox.endpoint_url
        self._cache = cache

    def client(self, name, **config):
        settings = Config(**{"retries": {"max_attempts": 2, "mode": "standard"}, **config})
        return self.session.client(name, endpoint_url=self.endpoint_url, config=settings)

    def __getattr__(self, name):
        if name.startswith("_"):
            raise AttributeError(name)
        if name not in self._cache:
            self._cache[name] = self.client(name)
        return self._cache[name]


@pytest.fixture(scope="session")
def _client_cache():
    return {}


@pytest.fixture
def aws(sandbox, boto_session, _client_cache):
    """A freshly reset sandbox and plain boto3 clients (region us-east-1, credentials `testing`)."""
    sandbox.reset()
    return Clients(sandbox, boto_session, _client_cache)
