"""Where listeners are served: ports from a published range first (a container publishes one), then any; and the
host name the local URLs carry, which is how other processes (the workers' smoke checks) reach them."""

import socket
import urllib.request

import pytest

from sandbox.__main__ import _port_range
from sandbox.listener_ports import ListenerPorts
from sandbox.load_balancers import LoadBalancers
from sandbox.task_answer import Response


def free_range(size):
    """`size` consecutive ports that are free now."""
    for first in range(47000, 60000, size):
        probes = []
        try:
            for port in range(first, first + size):
                probes.append(socket.create_server(("127.0.0.1", port)))
        except OSError:
            continue
        finally:
            for probe in probes:
                probe.close()
        if len(probes) == size:
            return first, first + size - 1
    raise AssertionError("no free ports")


def test_ports_come_from_the_range_while_it_has_free_ones_then_from_anywhere_and_answer():
    first, last = free_range(2)
    ports = ListenerPorts(lambda key, request: Response(200, key.encode(), "text/plain"), "127.0.0.1", (first, last))
    try:
        taken = [ports.open(key) for key in ("a", "b", "c")]
        assert taken[:2] == [first, last] and not first <= taken[2] <= last
        with urllib.request.urlopen(f"http://127.0.0.1:{taken[1]}/", timeout=5) as answer:
            assert answer.read() == b"b"
        ports.close("a")
        assert ports.open("d") == first  # freed, so taken again
    finally:
        ports.stop()


def test_local_urls_name_the_advertised_host_and_a_wildcard_bind_is_named_by_loopback():
    for bind, advertised, named in (
        ("0.0.0.0", "sandbox", "sandbox"),
        ("0.0.0.0", "", "127.0.0.1"),
        ("127.0.0.1", "", "127.0.0.1"),
    ):
        balancers = LoadBalancers(None, bind, advertised)
        balancers.stop()
        assert balancers.host == named


def test_the_port_range_setting_is_checked():
    assert _port_range("4600-4649") == (4600, 4649) and _port_range("") is None
    with pytest.raises(SystemExit, match="SANDBOX_LISTENER_PORTS must be FIRST-LAST"):
        _port_range("4649-4600")
