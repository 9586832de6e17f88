"""What the newest-allowed lane saw: for each dependency of pyproject.toml, its range, the tested
version (constraints.txt), the newest version the range allows (the newest lane's install) and
the newest release on the registry, flagging releases above an upper bound before a user meets them.

    python scripts/dependency_report.py --tested constraints.txt --newest out/newest/constraints.txt \
        [--released-from-pip] [--out out/newest/report.md]

Run by scripts/test_newest.sh; `--released-from-pip` asks `pip index versions` for each package
(a registry query per dependency), otherwise the column is left empty.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import tomllib
from pathlib import Path

from packaging.requirements import Requirement
from packaging.version import InvalidVersion, Version

ROOT = Path(__file__).resolve().parents[1]


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def read_pins(path: Path) -> dict[str, Version]:
    """`name==version` lines of a constraints / pip-freeze file (comments and other lines skipped)."""
    pins = {}
    for line in Path(path).read_text().splitlines():
        m = re.match(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;#]+)", line)
        if m:
            pins[canonical(m.group(1))] = Version(m.group(2))
    return pins


def released_versions(name: str) -> list[Version]:
    """Every final release the configured registries list for `name` (empty if the query fails)."""
    res = subprocess.run([sys.executable, "-m", "pip", "index", "versions", name], capture_output=True, text=True,
                         timeout=120)
    m = re.search(r"Available versions: (.*)", res.stdout)
    out = []
    for v in (m.group(1).split(", ") if m else []):
        try:
            version = Version(v.strip())
        except InvalidVersion:
            continue
        if not version.is_prerelease and not version.is_devrelease:
            out.append(version)
    return sorted(out)


def report(requirements: list[Requirement], tested: dict[str, Version], newest: dict[str, Version],
           released: dict[str, list[Version]]) -> tuple[str, list[str]]:
    """(a markdown table, the warnings): one row per requirement; a warning for each newest-allowed
    version that differs from the tested one and for each release its range excludes from above."""
    rows = ["| dependency | range | tested | newest allowed | newest released | note |", "|---|---|---|---|---|---|"]
    warnings = []
    for req in requirements:
        name = canonical(req.name)
        t, n = tested.get(name), newest.get(name)
        rel = released.get(name, [])
        top = rel[-1] if rel else None
        notes = []
        if t is not None and n is not None and n != t:
            notes.append(f"newest allowed {n} is not the tested {t}")
        if top is not None and not req.specifier.contains(top, prereleases=False):
            above = [v for v in rel if not req.specifier.contains(v) and (n is None or v > n)]
            if above:
                notes.append(f"release above the bound: {', '.join(map(str, above[-3:]))}")
        warnings += [f"{req.name}: {x}" for x in notes]
        rows.append(f"| {req.name} | `{req.specifier}` | {t or '-'} | {n or '-'} | {top or '-'} | {'; '.join(notes)} |")
    return "\n".join(rows) + "\n", warnings


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--tested", type=Path, default=ROOT / "constraints.txt")
    ap.add_argument("--newest", type=Path, required=True, help="pip freeze of the newest-allowed install")
    ap.add_argument("--released-from-pip", action="store_true")
    ap.add_argument("--out", type=Path)
    a = ap.parse_args(argv)
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    reqs = [Requirement(r) for r in project["dependencies"] + project["optional-dependencies"]["test"]]
    released = {canonical(r.name): released_versions(r.name) for r in reqs} if a.released_from_pip else {}
    table, warnings = report(reqs, read_pins(a.tested), read_pins(a.newest), released)
    text = table + ("\n" + "\n".join(f"- {w}" for w in warnings) + "\n" if warnings else "\nNo differences.\n")
    print(text, end="")
    if a.out:
        a.out.parent.mkdir(parents=True, exist_ok=True)
        a.out.write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
