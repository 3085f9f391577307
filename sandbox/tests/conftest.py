"""Fixtures: one sandbox per test session (manual clock), reset before every test."""

import pytest

from sandbox.testing import SandboxClients, run_sandbox


@pytest.fixture(autouse=True)
def fast_password_hashing():
    """The sandbox tests need no Django: this replaces the project-wide autouse fixture that needs it."""


@pytest.fixture(scope="session")
def sandbox():
    with run_sandbox(manual_clock=True) as running:
        yield running


@pytest.fixture
def aws(sandbox):
    """A freshly reset sandbox and plain boto3 clients (region us-east-1, credentials `testing`)."""
    sandbox.reset()
    return SandboxClients(sandbox)
