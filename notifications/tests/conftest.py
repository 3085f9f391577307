from releases.tests.conftest import boto, history, ready, sandbox, tracked, tutorial  # noqa: F401 - fixtures
