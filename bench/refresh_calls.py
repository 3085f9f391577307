"""AWS calls made by one refresh of a release target, idle and active, on a deployment group with a history.

    .venv/bin/python bench/refresh_calls.py [--earlier 60] [--refreshes 3]

Runs the local sandbox AWS in-process (manual clock), builds the tutorial's setup by hand (plain boto3), gives
its deployment group --earlier finished deployments, tracks it and refreshes it once (the first look). Then it
counts the calls of --refreshes refreshes of the idle target, pushes an image, lets the deployment reach Ready
and counts the calls of as many refreshes of the active target. Prints the calls per refresh, by operation.
Uses DATABASE_URL if set (its name must contain "bench": the bench empties it), else a throwaway SQLite file.
"""

import argparse
from collections import Counter

from common import setup_django  # first: it sets the environment before Django loads


def calls(sandbox):
    return Counter({f"{s}.{op}": n for s, ops in sandbox.calls().items() for op, n in ops.items()})


def per_refresh(sandbox, target, refreshes):
    from releases.worker import polling

    before = calls(sandbox)
    for _ in range(refreshes):
        polling.refresh(target.pk)
    made = calls(sandbox) - before
    return {op: n / refreshes for op, n in sorted(made.items())}


def show(title, counts):
    print(f"{title}: {sum(counts.values()):.1f} calls per refresh")
    for operation, n in counts.items():
        print(f"    {operation:<45} {n:.1f}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--earlier", type=int, default=60, help="finished deployments the group has already")
    parser.add_argument("--refreshes", type=int, default=3)
    args = parser.parse_args()

    from sandbox.testing import run_sandbox

    with run_sandbox(manual_clock=True) as sandbox:
        setup_django(sandbox.endpoint_url)
        from dashboard import aws
        from releases.tests.conftest import console_tutorial, deployment_history
        from releases.worker import polling
        from releases.worker.track import track_pipeline
        from sandbox.testing import SandboxClients

        boto = SandboxClients(sandbox)
        tutorial = console_tutorial(boto).settle()
        deployment_history(boto, tutorial, args.earlier)
        target = track_pipeline(tutorial.pipeline, connection=aws.Connection.from_settings())
        before = calls(sandbox)
        polling.refresh(target.pk)
        print(f"{args.earlier} earlier deployments; first look: {sum((calls(sandbox) - before).values())} calls")
        show("idle", per_refresh(sandbox, target, args.refreshes))
        tutorial.push_image()
        for _ in range(40):
            sandbox.advance(5)
            polling.refresh(target.pk)
            target.refresh_from_db()
            if target.latest_deployment() and target.latest_deployment().status == "Ready":
                break
        show(f"active (deployment {target.latest_deployment().status})", per_refresh(sandbox, target, args.refreshes))


if __name__ == "__main__":
    main()
