"""AWS's clock is not its clients': `clock_offset_seconds` puts the sandbox's clock, its answers' times and the Date
header of every answer that many seconds off real time, as a real AWS endpoint's clock may be."""

import time
from datetime import datetime
from email.utils import parsedate_to_datetime

import pytest

from sandbox.settings import DEFAULTS
from sandbox.testing import SandboxClients, SandboxControlError, run_sandbox
from sandbox.tutorial import Tutorial


def date_header(aws, client):
    answer = getattr(aws, client).list_applications() if client == "codedeploy" else aws.ecr.describe_repositories()
    return parsedate_to_datetime(answer["ResponseMetadata"]["HTTPHeaders"]["date"])


@pytest.mark.parametrize("offset", [-600, 900])
def test_the_offset_moves_the_clock_the_timestamps_and_the_date_header(aws, offset):
    t = Tutorial(aws).build(pipeline=False)
    clock_before = aws.sandbox.health()["clock"]
    aws.sandbox.configure(clock_offset_seconds=offset)
    assert aws.sandbox.settings()["clock_offset_seconds"] == offset
    clock_after = aws.sandbox.health()["clock"]
    moved = (datetime.fromisoformat(clock_after) - datetime.fromisoformat(clock_before)).total_seconds()
    assert moved == pytest.approx(offset, abs=1)

    deployment_id = t.create_deployment()
    created = aws.codedeploy.get_deployment(deploymentId=deployment_id)["deploymentInfo"]["createTime"]
    assert created == datetime.fromisoformat(clock_after)  # the manual clock stands still between the two reads
    for client in ("codedeploy", "ecr"):  # emulated services and moto's alike
        header = date_header(aws, client)
        assert abs((header - datetime.fromisoformat(clock_after)).total_seconds()) < 1.5


def test_a_reset_puts_the_clock_back_on_time(aws):
    aws.sandbox.configure(clock_offset_seconds=3600)
    aws.sandbox.reset()
    assert aws.sandbox.settings()["clock_offset_seconds"] == DEFAULTS["clock_offset_seconds"][0] == 0
    header = date_header(aws, "codedeploy")
    clock = aws.sandbox.health()["clock"]
    assert abs((header - datetime.fromisoformat(clock)).total_seconds()) < 1.5


def test_a_real_time_sandbox_dates_its_answers_by_its_own_clock():
    with run_sandbox(manual_clock=False) as live:
        live.reset()
        live.configure(clock_offset_seconds=-300)
        codedeploy = SandboxClients(live).codedeploy
        header = parsedate_to_datetime(codedeploy.list_applications()["ResponseMetadata"]["HTTPHeaders"]["date"])
        assert header.timestamp() - time.time() == pytest.approx(-300, abs=1.5)
        live.reset()
        assert live.settings()["clock_offset_seconds"] == 0


def test_an_offset_out_of_range_is_refused_with_the_range(aws):
    with pytest.raises(SandboxControlError, match="clock_offset_seconds must be a number from -86400 to 86400"):
        aws.sandbox.configure(clock_offset_seconds=10**6)
