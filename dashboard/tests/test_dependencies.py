"""The three requirement sets stay apart, pinned with hashes, and each Docker image installs only its own."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
REQUIREMENTS = ROOT / "requirements"
SETS = ("runtime", "sandbox", "dev")
TOOLS = {"pytest", "pytest-xdist", "pytest-django", "playwright", "moto", "awscli", "ruff", "import-linter", "uv"}


def canonical(name):
    return re.sub(r"[-_.]+", "-", name).lower()


def entries(path):
    """Each requirement of a pip file as one line, its backslash continuations joined, comments dropped."""
    text = re.sub(r"\\\n", " ", path.read_text())
    lines = (line.split("#", 1)[0].strip() for line in text.splitlines())
    return [line for line in lines if line and not line.startswith("-")]


def name_of(entry):
    return canonical(re.match(r"[A-Za-z0-9._-]+", entry).group())


def pins(set_name):
    """{name: version} of a compiled .txt file."""
    return {name_of(e): re.search(r"==\s*([^\s;]+)", e).group(1) for e in entries(REQUIREMENTS / f"{set_name}.txt")}


def test_every_compiled_requirement_is_pinned_with_a_hash():
    for set_name in SETS:
        for entry in entries(REQUIREMENTS / f"{set_name}.txt"):
            assert re.search(r"==\s*\S", entry), (set_name, entry)
            assert re.search(r"--hash=sha256:[0-9a-f]{64}", entry), (set_name, entry)


def test_the_runtime_set_carries_no_test_sandbox_or_dev_tool():
    assert pins("runtime"), "runtime.txt pins nothing?"
    assert sorted(TOOLS & set(pins("runtime"))) == []
    assert sorted(TOOLS & {name_of(e) for e in entries(REQUIREMENTS / "runtime.in")}) == []


def test_the_dev_set_holds_the_runtime_and_sandbox_sets_at_their_versions():
    dev = pins("dev")
    for set_name in ("runtime", "sandbox"):
        assert {name: dev.get(name) for name in pins(set_name)} == pins(set_name), set_name
    assert sorted(TOOLS - set(dev)) == []


def test_the_sandbox_set_agrees_with_the_runtime_set():
    runtime, sandbox = pins("runtime"), pins("sandbox")
    assert {name: sandbox[name] for name in runtime.keys() & sandbox.keys()} == {
        name: runtime[name] for name in runtime.keys() & sandbox.keys()
    }
    assert "moto" in sandbox


def test_every_pin_of_an_input_file_is_in_its_compiled_file():
    for set_name in SETS:
        compiled = pins(set_name)
        for entry in entries(REQUIREMENTS / f"{set_name}.in"):
            if "==" in entry:
                assert compiled.get(name_of(entry)) == entry.split("==", 1)[1].strip(), (set_name, entry)


def dockerfile_stages():
    """{stage: (parent, [instructions])}, continuation lines joined."""
    text = re.sub(r"\\\n", " ", (ROOT / "Dockerfile").read_text())
    stages, current = {}, None
    for line in text.splitlines():
        line = line.strip()
        if match := re.match(r"FROM\s+(\S+)\s+AS\s+(\S+)", line, re.IGNORECASE):
            current = match.group(2)
            stages[current] = (match.group(1), [])
        elif line and not line.startswith("#"):
            stages[current][1].append(line)
    return stages


def instructions_building(stage):
    """The instructions of a stage and of the stages it starts from."""
    stages = dockerfile_stages()
    found = []
    while stage in stages:
        stage, instructions = stages[stage]
        found = instructions + found
    return found


def installed_requirement_files(stage):
    pip_lines = [i for i in instructions_building(stage) if re.search(r"\bpip\s+install\b", i)]
    assert all("--require-hashes" in line for line in pip_lines), pip_lines
    return {path for line in pip_lines for path in re.findall(r"-r\s+(\S+)", line)}


def test_each_image_installs_only_its_own_requirement_set():
    assert installed_requirement_files("production") == {"requirements/runtime.txt"}
    assert installed_requirement_files("sandbox") == {"requirements/sandbox.txt"}
    assert not re.search(r"pytest|playwright|moto|awscli|ruff", " ".join(instructions_building("production")))


def test_the_production_image_gets_the_source_without_the_sandbox_and_tests():
    production = instructions_building("production")
    copies = [i for i in production if i.upper().startswith(("COPY", "ADD"))]
    assert all("--from=source" in c or re.search(r"COPY\s+requirements/runtime\.txt\s", c) for c in copies), copies
    source_steps = " ".join(dockerfile_stages()["source"][1])
    assert "-name tests" in source_steps and "/src/sandbox" in source_steps


def test_a_plain_docker_build_makes_the_production_image():
    assert list(dockerfile_stages())[-1] == "production"
