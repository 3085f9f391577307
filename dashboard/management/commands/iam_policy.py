import json

from django.core.management.base import BaseCommand

from dashboard import iam_policy
from dashboard.aws_operations import CONSOLE, PARTS, ROLES, WIZARD, actions


class Command(BaseCommand):
    help = (
        "Print a least-privilege IAM policy (JSON) for the dashboard's own credentials, made from the registry "
        "of every AWS operation it calls: --console for viewing and operating releases, --wizard for setup and "
        "teardown, neither for both."
    )

    def add_arguments(self, parser):
        which = parser.add_mutually_exclusive_group()
        which.add_argument("--console", action="store_const", dest="part", const=CONSOLE)
        which.add_argument("--wizard", action="store_const", dest="part", const=WIZARD)
        parser.add_argument("--account", default="*", help="Account id in the role ARNs (default *).")
        parser.add_argument("--partition", default="aws")
        parser.add_argument("--setup", default="", help="A setup's name: scope the wizard's roles to its names.")
        for key, (service, default) in ROLES.items():
            parser.add_argument(
                f"--{key.replace('_', '-')}", default="", help=f"Role passed to {service} (default {default})."
            )

    def handle(self, part, account, partition, setup, **options):
        parts = [part] if part else list(PARTS)
        roles = {key: options[key] for key in ROLES}
        documents = iam_policy.documents(parts, account=account, partition=partition, roles=roles, setup=setup)
        self.stdout.write(json.dumps(documents[0] if len(documents) == 1 else documents, indent=2))
        sizes = ", ".join(str(len(iam_policy.compact(document))) for document in documents)
        self.stderr.write(
            f"{len({a for p in parts for a in actions(p)})} IAM actions for {' and '.join(parts)}; "
            f"{len(documents)} document(s) of {sizes} characters without whitespace (a managed policy holds "
            f"{iam_policy.MANAGED_POLICY_MAX})." + (" Make one managed policy of each." if len(documents) > 1 else "")
        )
