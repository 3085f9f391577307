"""Fixtures of the wizard's tests: plain boto3 clients on the sandbox (for checking what the wizard made)."""

import pytest

from sandbox.testing import SandboxClients


@pytest.fixture
def aws(sandbox, settings):
    """The sandbox, reset, with clients to check it; the wizard looks again quickly while it waits."""
    settings.PROVISIONING_POLL_SECONDS = 0.2
    return SandboxClients(sandbox)
