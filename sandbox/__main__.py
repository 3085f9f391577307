"""`python -m sandbox [--port N] [--speed X] [--manual-clock] [--state-dir DIR]`: serve the local AWS on 127.0.0.1."""

import argparse
import contextlib
import logging
import os
import signal
import sys


def _env_float(name: str, default: float) -> float:
    raw = os.environ.get(name)
    if raw in (None, ""):
        return default
    try:
        value = float(raw)
    except ValueError:
        sys.exit(f"{name} must be a number, got {raw!r}")
    if value <= 0:
        sys.exit(f"{name} must be positive, got {raw!r}")
    return value


def _env_port() -> int:
    raw = os.environ.get("SANDBOX_PORT", "4566")
    if not raw.isdigit() or not 0 <= int(raw) < 65536:
        sys.exit(f"SANDBOX_PORT must be a port number, got {raw!r}")
    return int(raw)


def _port_range(raw: str) -> tuple[int, int] | None:
    if not raw:
        return None
    first, _, last = raw.partition("-")
    if not (first.isdigit() and last.isdigit() and 0 < int(first) <= int(last) < 65536):
        sys.exit(f"SANDBOX_LISTENER_PORTS must be FIRST-LAST, such as 4600-4699, got {raw!r}")
    return int(first), int(last)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(prog="python -m sandbox", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=None, help="default: $SANDBOX_PORT or 4566 (0 = any free)")
    parser.add_argument("--speed", type=float, default=None, help="sandbox seconds per real second ($SANDBOX_SPEED)")
    parser.add_argument(
        "--manual-clock", action="store_true", help="time moves only through POST /_sandbox/clock/advance"
    )
    parser.add_argument(
        "--state-dir",
        default=os.environ.get("SANDBOX_STATE_DIR") or None,
        help="keep the AWS state in this folder across restarts ($SANDBOX_STATE_DIR; default: in memory only)",
    )
    parser.add_argument(
        "--listener-host",
        default=os.environ.get("SANDBOX_LISTENER_HOST", ""),
        help="the host name in the load balancers' local URLs ($SANDBOX_LISTENER_HOST; default: --host)",
    )
    parser.add_argument(
        "--listener-ports",
        type=_port_range,
        default=_port_range(os.environ.get("SANDBOX_LISTENER_PORTS", "")),
        help="FIRST-LAST: the ports the load balancers' listeners take ($SANDBOX_LISTENER_PORTS; default: any free)",
    )
    args = parser.parse_args(argv)
    port = args.port if args.port is not None else _env_port()
    speed = args.speed if args.speed is not None else _env_float("SANDBOX_SPEED", 1.0)
    if speed <= 0:
        parser.error("--speed must be positive")
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(name)s %(levelname)s %(message)s")

    from sandbox.server import Sandbox

    sandbox = Sandbox(
        host=args.host,
        port=port,
        speed=speed,
        manual_clock=args.manual_clock,
        state_dir=args.state_dir,
        listener_host=args.listener_host,
        listener_ports=args.listener_ports,
    )
    mode = "manual clock" if args.manual_clock else f"speed {speed:g}"
    kept = f", state kept in {args.state_dir}" if args.state_dir else ", state in memory only"
    print(f"sandbox AWS listening on {sandbox.endpoint_url} ({mode}{kept})", flush=True)
    # `make demo` and docker stop with SIGTERM: end through serve_forever's `finally`, which saves the state.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    with contextlib.suppress(KeyboardInterrupt):
        sandbox.serve_forever()


if __name__ == "__main__":
    main()
