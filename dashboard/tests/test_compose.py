"""docker-compose.yml runs the same processes as `make demo` with the same configuration."""

import re
import shlex
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]


def compose():
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def procfile():
    lines = (ROOT / "Procfile").read_text().splitlines()
    return dict(line.split(": ", 1) for line in lines if line.strip() and not line.startswith("#"))


def program(command):
    """The program and its leading arguments, up to the first option: 'celery -A dashboard worker'."""
    if isinstance(command, list):
        command = " ".join(command)
    command = command.split("&&")[-1].strip().strip('"')
    words = shlex.split(command)
    return " ".join(w for w in words[: next((i for i, w in enumerate(words) if w.startswith("--")), len(words))])


def test_compose_has_every_service_with_a_health_check():
    services = compose()["services"]
    assert set(services) == {"web", "worker", "beat", "events", "redis", "postgres", "sandbox"}
    assert all("healthcheck" in service for service in services.values())


def test_compose_runs_the_same_processes_as_the_demo():
    services = compose()["services"]
    for name, command in procfile().items():
        assert program(services[name]["command"]) == program(command), name


def test_every_setting_is_documented_in_the_readme():
    readme = (ROOT / "README.md").read_text()
    settings_source = (ROOT / "dashboard" / "settings.py").read_text()
    names = set(re.findall(r'env_\w+\(\s*"([A-Z_]+)"', settings_source))
    assert names, "settings read no variables?"
    assert sorted(n for n in names if f"`{n}`" not in readme) == []


def test_compose_sets_only_documented_variables():
    readme = (ROOT / "README.md").read_text()
    environment = compose()["x-app"]["environment"]
    assert sorted(n for n in environment if f"`{n}`" not in readme) == []


def test_compose_builds_the_production_image_for_the_product_and_the_sandbox_image_for_the_sandbox():
    services = compose()["services"]
    targets = {name: services[name]["build"]["target"] for name in ("web", "worker", "beat", "sandbox")}
    assert targets == {"web": "production", "worker": "production", "beat": "production", "sandbox": "sandbox"}
    assert {services[name]["build"]["context"] for name in targets} == {"."}
