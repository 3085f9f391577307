"""test_clocks_browser.py's checks with AWS's clock ten minutes behind the dashboard's. A file of its own, so that
the other test process runs it while the first runs the clock-ahead case: each takes minutes of real time."""

import pytest

from releases.tests.test_clocks_browser import (  # noqa: F401 (collected here, with this file's sandbox)
    run_live_sandbox,
    test_countdowns_end_when_aws_ends_the_wait_and_no_duration_is_negative,
)

pytestmark = pytest.mark.browser


@pytest.fixture(params=[-600], ids=["aws-behind"])
def live_sandbox(request, settings):
    yield from run_live_sandbox(request.param, settings)
