"""Fixtures of the wizard's tests: plain boto3 clients on the sandbox (for checking what the wizard made)."""

import boto3
import pytest
from botocore.config import Config


class Clients:
    """Plain boto3 clients on the sandbox, made on first use: aws.ecs, aws.codedeploy, ..."""

    def __init__(self, endpoint_url):
        self.endpoint_url = endpoint_url
        self._session = boto3.session.Session(
            aws_access_key_id="testing", aws_secret_access_key="testing", region_name="us-east-1"
        )
        self._clients = {}

    def __getattr__(self, name):
        if name.startswith("_"):
            raise AttributeError(name)
        if name not in self._clients:
            config = Config(retries={"max_attempts": 2, "mode": "standard"})
            self._clients[name] = self._session.client(name, endpoint_url=self.endpoint_url, config=config)
        return self._clients[name]


@pytest.fixture(scope="session")
def _clients(sandbox_server):
    return Clients(sandbox_server.endpoint_url)


@pytest.fixture
def aws(sandbox, _clients, settings):
    """The sandbox, reset, with clients to check it; the wizard looks again quickly while it waits."""
    settings.PROVISIONING_POLL_SECONDS = 0.2
    return _clients
