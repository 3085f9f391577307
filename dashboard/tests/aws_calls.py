"""Finds every AWS call with a literal service and operation in the product's source (for the registry tests)."""

import ast
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PRODUCT = ("dashboard", "releases", "provisioning", "sandbox_console")  # with the optional app
SKIPPED = {"tests", "migrations"}
# aws.call(service, operation, ...), aws.paginate(service, operation, key, ...), ctx.call / ctx.paginate, and
# ctx.find(missing_codes, service, operation, ...): where the service and operation are among the arguments.
FIRST_ARGUMENT = {"call": 0, "paginate": 0, "find": 1}


@dataclass(frozen=True)
class Site:
    service: str
    operation: str
    paginated: bool
    path: str
    line: int

    @property
    def part(self):
        """The part of the product the call belongs to, by where it is: the move to ECS blue/green changes the
        infrastructure as the wizard does, and only admins run it."""
        if self.path.startswith(("provisioning/", "releases/worker/migration/")):
            return "wizard"
        if self.path.startswith("sandbox_console/"):
            return "sandbox"
        return "console"


def calls_in(source, path="<snippet>", services=None):
    found = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Call):
            continue
        function = node.func
        name = function.attr if isinstance(function, ast.Attribute) else getattr(function, "id", None)
        if name not in FIRST_ARGUMENT:
            continue
        arguments = node.args[FIRST_ARGUMENT[name] :][:2]
        if len(arguments) < 2 or not all(isinstance(a, ast.Constant) and isinstance(a.value, str) for a in arguments):
            continue
        service, operation = (a.value for a in arguments)
        if services is None or service in services:
            found.append(Site(service, operation, name == "paginate", path, node.lineno))
    return found


def product_calls(services):
    found = []
    for package in PRODUCT:
        for path in sorted((ROOT / package).rglob("*.py")):
            relative = path.relative_to(ROOT)
            if SKIPPED & set(relative.parts):
                continue
            found += calls_in(path.read_text(), str(relative), services)
    return found


def unregistered(sites, registry):
    """Problems: calls of operations missing from the registry, or registered for another part only."""
    problems = []
    for site in sites:
        entry = registry.get((site.service, site.operation))
        where = f"{site.path}:{site.line} {site.service}.{site.operation}"
        if entry is None:
            problems.append(f"{where} is not in dashboard/aws_operations.py")
        elif site.part not in entry.parts:
            problems.append(f"{where} is used by the {site.part} but registered for {sorted(entry.parts)} only")
    return problems
