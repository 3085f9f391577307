import pytest

from sandbox_console.tasks import record_health


@pytest.fixture
def seen_sandbox(sandbox, db):
    """What the worker's beat task records every 15 s: the configured endpoint is the sandbox."""
    record_health()
    return sandbox
