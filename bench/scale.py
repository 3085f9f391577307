"""AWS calls per minute by operation, and worker and beat CPU, for 20 and then 100 tracked targets (a few active),
and what that makes at 1,000 targets.

    .venv/bin/python bench/scale.py [--targets 20 100] [--seconds 120] [--no-events]

Runs the sandbox AWS in real time, a Celery worker and beat and the events listener (unless --no-events), each its
own process, on a throwaway SQLite database. The tutorial's setup is made by hand; its deployment waits for a
reroute (one target with a deployment running); two more pipelines wait at a manual approval (active, nothing
deploying); the rest are idle pipelines of a second deployment group. For each count the bench measures
--seconds and prints, in one table, the calls per minute of each operation, the CPU of worker, beat and listener,
and a straight line through the two counts carried to 1,000 targets (in requests per second per API, which AWS
throttles per account at about 10/s for these reads), the idle looks held to the rate polling.py spreads them to.
"""

import argparse
import signal
import sys
import time
from collections import Counter

from common import cpu_seconds, memory_mib, table  # first: it sets the environment before Django loads
from live_lag import settle_live, start_dashboard, wait_until, with_sandbox

ACTIVE_WAITING = 2  # pipelines waiting at an approval
IDLE_LOOK = "codepipeline.ListPipelineExecutions"
TARGET_AT = 1000
LIMIT_PER_SECOND = 10


def calls(sandbox):
    return Counter({f"{s}.{op}": n for s, ops in sandbox.calls().items() for op, n in ops.items()})


def idle_group(tutorial):
    """A second service and deployment group, for the idle pipelines (a group's deployments are its targets')."""
    aws = tutorial.aws
    aws.ecs.create_service(serviceName="idle-service", **tutorial.create_service_json())
    group = tutorial.deployment_group_definition()
    group.update(
        deploymentGroupName="idle-group", ecsServices=[{"serviceName": "idle-service", "clusterName": "my-cluster"}]
    )
    aws.codedeploy.create_deployment_group(**group)


def add_pipeline(tutorial, name, *, approval):
    definition = tutorial.pipeline_definition()
    definition["name"] = name
    deploy = definition["stages"][1]["actions"][0]
    deploy["configuration"] = {**deploy["configuration"], "DeploymentGroupName": "idle-group"}
    if approval:
        kind = {"category": "Approval", "owner": "AWS", "provider": "Manual", "version": "1"}
        wait = {"name": "Approve", "actionTypeId": kind}
        definition["stages"].insert(1, {"name": "Approval", "actions": [wait]})
    tutorial.aws.codepipeline.create_pipeline(pipeline=definition)
    if not approval:  # creating a pipeline starts it: stopped, so that the group stays idle
        execution = tutorial.aws.codepipeline.list_pipeline_executions(pipelineName=name)
        for summary in execution["pipelineExecutionSummaries"]:
            tutorial.aws.codepipeline.stop_pipeline_execution(
                pipelineName=name, pipelineExecutionId=summary["pipelineExecutionId"], abandon=True
            )


def main():
    signal.signal(signal.SIGTERM, lambda *_: sys.exit("stopped"))
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--targets", type=int, nargs=2, default=[20, 100])
    parser.add_argument("--seconds", type=float, default=120)
    parser.add_argument("--no-events", action="store_true", help="no events rule nor listener: polling alone")
    args = parser.parse_args()

    with_sandbox("scale-", lambda processes, sandbox: run(args, processes, sandbox), static=False)


def run(args, processes, sandbox):
    from django.core.management import call_command

    from dashboard import aws
    from releases.models import ReleaseTarget
    from releases.tests.conftest import console_tutorial
    from releases.worker.track import track_pipeline
    from sandbox.testing import SandboxClients

    boto = SandboxClients(sandbox)
    tutorial = console_tutorial(boto, ready_wait_minutes=30, termination_wait_minutes=60)
    settle_live(tutorial)
    idle_group(tutorial)
    if not args.no_events:
        call_command("events_rule")
    connection = aws.Connection.from_settings()
    names = [tutorial.pipeline] + [f"waiting-{n}" for n in range(ACTIVE_WAITING)]
    for name in names[1:]:
        add_pipeline(tutorial, name, approval=True)

    dashboard = start_dashboard(processes, events=not args.no_events)
    measured = {}
    for count in args.targets:
        while len(names) < count:
            names.append(f"idle-{len(names)}")
            add_pipeline(tutorial, names[-1], approval=False)
        for name in names:
            if not ReleaseTarget.objects.filter(pipeline_name=name).exists():
                track_pipeline(name, connection=connection)
        if count == args.targets[0]:
            tutorial.push_image()
            wait_until(lambda: any(d["status"] == "Ready" for d in tutorial.deployments()), 120, "Ready")
        wait_until(lambda: not ReleaseTarget.objects.filter(polled_at__isnull=True).exists(), 120, "first looks")
        time.sleep(15)  # first looks over
        active = ReleaseTarget.objects.filter(active=True).count()
        cpu_before = {name: cpu_seconds(p.pid) for name, p in dashboard.items()}
        before, started = calls(sandbox), time.monotonic()
        time.sleep(args.seconds)
        elapsed = time.monotonic() - started
        made = calls(sandbox) - before
        cpu = {name: (cpu_seconds(p.pid) - cpu_before[name]) / elapsed for name, p in dashboard.items()}
        measured[count] = {"ops": {op: n / elapsed * 60 for op, n in made.items()}, "cpu": cpu, "active": active}
        print(f"{count} targets ({active} active): {sum(made.values()) / elapsed * 60:.0f} AWS calls/min", flush=True)

    from releases.worker import polling

    small, large = args.targets
    # While events arrive, the idle looks of an account's targets are spread so that together they make at most
    # IDLE_CALLS_PER_SECOND (their interval grows with the count): a straight line through 20 and 100 targets,
    # where the cap does not bite yet, would carry them past it.
    cap = None if args.no_events else polling.IDLE_CALLS_PER_SECOND * 60
    operations = sorted({op for m in measured.values() for op in m["ops"]})
    rows = []
    for op in operations:
        a, b = measured[small]["ops"].get(op, 0), measured[large]["ops"].get(op, 0)
        per_target = (b - a) / (large - small)  # what each further (idle) target adds, per minute
        at = b + per_target * (TARGET_AT - large)
        if cap and op == IDLE_LOOK:
            active = measured[large]["active"]
            at = min(at, b - per_target * (large - active) + cap)
        flag = "  over" if at / 60 > LIMIT_PER_SECOND else ""
        rows.append([op, f"{a:.1f}", f"{b:.1f}", f"{max(at, 0) / 60:.2f}{flag}"])
    total = [sum(measured[c]["ops"].values()) for c in (small, large)]
    rows.append(["all operations", f"{total[0]:.1f}", f"{total[1]:.1f}", ""])
    for name in measured[small]["cpu"]:
        shares = [f"{measured[c]['cpu'][name] * 100:.1f}" for c in (small, large)]
        rows.append([f"{name} CPU (% of a core)", *shares, ""])
    rows += [[f"memory {name} (MiB)", "", f"{memory_mib(p.pid):.0f}", ""] for name, p, _ in processes.running]
    print()
    mode = "polling only" if args.no_events else "events"
    headers = [f"calls/min ({mode})", f"{small} targets", f"{large} targets", f"{TARGET_AT} targets: req/s"]
    print(table(headers, rows))
    actives = f"{measured[small]['active']} and {measured[large]['active']}"
    print(f"({actives} targets active; AWS allows about {LIMIT_PER_SECOND} requests/s per API and account)")


if __name__ == "__main__":
    main()
