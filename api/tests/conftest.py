"""The API's fixtures: tokens of each kind, a client that sends one, and the console's sandbox targets."""

from datetime import timedelta

import pytest
from django.utils import timezone

from api.models import ApiToken
from releases.tests.conftest import (  # noqa: F401
    app,
    awaiting_approval,
    boto,
    ecs_service,
    history,
    ready,
    sandbox,
    tracked,
    tutorial,
)


def make_token(owner, scope=ApiToken.OPERATE, name=None, days=30):
    token, secret = ApiToken.issue(
        owner, name=name or f"{scope} token", scope=scope, expires_at=timezone.now() + timedelta(days=days)
    )
    return token, secret


def bearer(secret):
    return {"Authorization": f"Bearer {secret}"}


@pytest.fixture
def operate_token(operator):
    return make_token(operator, ApiToken.OPERATE, name="CI deploy")[1]


@pytest.fixture
def read_token(operator):
    return make_token(operator, ApiToken.READ, name="CI read")[1]
