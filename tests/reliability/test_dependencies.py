"""Dependencies (issue 22): the releases that can break the package are bounded, the tested set
(constraints.txt) is what set-up installs and lies inside the bounds, and the newest-allowed
lane's report flags a release above a bound."""

from __future__ import annotations

import importlib.metadata
import importlib.util
import tomllib
from pathlib import Path

from packaging.requirements import Requirement
from packaging.version import Version

ROOT = Path(__file__).resolve().parents[2]
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
REQUIREMENTS = {Requirement(r).name: Requirement(r) for r in PROJECT["dependencies"]}

_spec = importlib.util.spec_from_file_location("nclib_dependency_report", ROOT / "scripts" / "dependency_report.py")
dependency_report = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(dependency_report)


def test_fast_moving_dependencies_have_an_upper_bound():
    for name in ("transformers", "peft", "gguf", "torch"):
        assert any(s.operator in ("<", "<=") for s in REQUIREMENTS[name].specifier), f"{name} has no upper bound"
    assert all(any(s.operator in ("<", "<=") for s in r.specifier) for r in REQUIREMENTS.values())


def test_tested_set_lies_inside_the_bounds_and_is_installed():
    pins = dependency_report.read_pins(ROOT / "constraints.txt")
    for name, req in REQUIREMENTS.items():
        key = dependency_report.canonical(name)
        assert key in pins, f"constraints.txt does not pin {name}"
        assert req.specifier.contains(pins[key]), f"constraints.txt pins {name}=={pins[key]}, outside {req.specifier}"
    # the suite runs in the environment scripts/setup.sh made from it
    for name in ("transformers", "peft", "datasets"):
        installed = Version(importlib.metadata.version(name))
        assert installed == pins[name], f"{name} {installed} installed, constraints.txt says {pins[name]}"


def test_report_flags_a_release_above_the_bound_and_a_drift_from_the_tested_set():
    reqs = [Requirement("transformers>=4.56,<5.26"), Requirement("peft>=0.17,<0.23")]
    tested = {"transformers": Version("5.25.0"), "peft": Version("0.21.0")}
    newest = {"transformers": Version("5.25.0"), "peft": Version("0.22.0")}
    released = {"transformers": [Version(v) for v in ("5.24.0", "5.25.0", "5.26.0", "5.26.1")],
                "peft": [Version(v) for v in ("0.21.0", "0.22.0")]}
    table, warnings = dependency_report.report(reqs, tested, newest, released)
    assert warnings == ["transformers: release above the bound: 5.26.0, 5.26.1",
                        "peft: newest allowed 0.22.0 is not the tested 0.21.0"]
    assert "| transformers | `<5.26,>=4.56` | 5.25.0 | 5.25.0 | 5.26.1 |" in table
    _, none = dependency_report.report(reqs, tested | {"peft": Version("0.22.0")}, newest,
                                       {"transformers": released["transformers"][:2], "peft": released["peft"]})
    assert none == []


def test_ci_runs_the_newest_lane_without_blocking():
    ci = (ROOT / ".ci" / "run").read_text().splitlines()
    main = ci.index("bash scripts/test.sh")
    newest = next(i for i, line in enumerate(ci) if "scripts/test_newest.sh" in line and not line.startswith("#"))
    assert newest > main and "||" in ci[newest]
