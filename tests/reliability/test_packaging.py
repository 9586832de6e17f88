"""Packaging: a distribution name of our own, a build that ships every package and data file
without a warning, and saved remote code that names the distribution when `nclib` is missing or
is the registry's unrelated netcat library."""

import json
import os
import re
import shutil
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest

from nclib.model.remote_code import DISTRIBUTION

ROOT = Path(__file__).resolve().parents[2]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())
SETUPTOOLS = PYPROJECT["tool"]["setuptools"]


def _setup_warning_filter() -> str:
    """The PYTHONWARNINGS filter scripts/setup.sh installs the package with."""
    found = re.findall(r'PYTHONWARNINGS="([^"]*)" python -m pip install -q "\$\{constraints\[@\]\}" -e "\.\[test\]"', (ROOT / "scripts/setup.sh").read_text())
    assert len(found) == 1, "scripts/setup.sh should install the package once, with a PYTHONWARNINGS filter"
    return found[0]


def _source_copy(dest: Path) -> Path:
    """What a build reads: pyproject.toml, the readme and every package-dir root (no caches)."""
    dest.mkdir()
    shutil.copy(ROOT / "pyproject.toml", dest)
    shutil.copy(ROOT / PYPROJECT["project"]["readme"], dest)
    for root in sorted(set(SETUPTOOLS["package-dir"].values())):
        shutil.copytree(ROOT / root, dest / root, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    return dest


def test_distribution_name_is_ours_and_import_name_is_nclib():
    """The registry's `nclib` is a netcat library: the distribution has another name, one that the
    remote code names too, and every package still imports as nclib.*."""
    assert PYPROJECT["project"]["name"] == DISTRIBUTION
    assert re.sub(r"[-_.]+", "-", DISTRIBUTION).lower() != "nclib"
    assert all(p == "nclib" or p.startswith("nclib.") for p in SETUPTOOLS["packages"])
    assert PYPROJECT["project"]["scripts"]["nclib"] == "nclib.cli:main"


def test_every_package_directory_is_declared():
    """Each directory with an __init__.py under a package-dir root is in `packages` (a missing one
    works in the editable install and is silently absent from a wheel)."""
    declared = set(SETUPTOOLS["packages"])
    found = set()
    for name, root in SETUPTOOLS["package-dir"].items():
        for init in (ROOT / root).rglob("__init__.py"):
            rel = init.parent.relative_to(ROOT / root)
            found.add(".".join([name, *rel.parts]))
    assert "nclib.model.reasoning" in found and "nclib.kernels.alu" in found
    assert found - declared == set(), f"packages missing from pyproject.toml: {sorted(found - declared)}"


def test_build_is_quiet_and_ships_everything(tmp_path):
    """The wheel and the editable wheel build from a clean copy with no warning that pip would show
    (setup.sh's filter applied), and the wheel holds every module, routine source and config."""
    src = _source_copy(tmp_path / "src")
    dist = tmp_path / "dist"
    script = f"""
import json, warnings
from setuptools import build_meta
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("default")
    warnings.filterwarnings("ignore", {_setup_warning_filter().split(":")[1]!r}, UserWarning)
    wheel = build_meta.build_wheel({str(dist)!r})
    editable = build_meta.build_editable({str(dist)!r})
shown = [f"{{w.category.__name__}}: {{str(w.message).strip().splitlines()[0]}}" for w in caught if issubclass(w.category, UserWarning)]
print(json.dumps({{"wheel": wheel, "editable": editable, "warnings": shown}}))
"""
    res = subprocess.run([sys.executable, "-c", script], cwd=src, capture_output=True, text=True, timeout=300,
                         env={**os.environ, "PYTHONWARNINGS": ""})
    assert res.returncode == 0, res.stderr[-3000:]
    out = json.loads(res.stdout.strip().splitlines()[-1])
    assert out["warnings"] == [], out["warnings"]
    names = set(zipfile.ZipFile(dist / out["wheel"]).namelist())
    assert any(n.startswith(f"{DISTRIBUTION.replace('-', '_')}-") and n.endswith(".dist-info/METADATA") for n in names)
    want = set()
    for name, root in SETUPTOOLS["package-dir"].items():
        for f in (src / root).rglob("*"):
            if f.suffix in (".py", ".yaml") and "__pycache__" not in f.parts:
                want.add("/".join([*name.split("."), *f.relative_to(src / root).parts]))
    assert "nclib/train/configs/tiny_augmented.yaml" in want and "nclib/model/reasoning/__init__.py" in want
    assert want - names == set(), f"missing from the wheel: {sorted(want - names)[:10]}"


@pytest.fixture(scope="module")
def saved_model(tmp_path_factory):
    """A tiny NCLlama saved for trust_remote_code (config + modeling sources next to the weights)."""
    from nclib.model import NCLlamaConfig, NCLlamaForCausalLM

    path = tmp_path_factory.mktemp("remote")
    config = NCLlamaConfig(hidden_size=16, intermediate_size=32, num_hidden_layers=1, num_attention_heads=2,
                           num_key_value_heads=1, vocab_size=256)
    NCLlamaForCausalLM(config).save_pretrained(path)
    assert (path / "modeling_ncllama.py").is_file() and (path / "remote_code.py").is_file()
    return path


# Loads the saved model in a fresh interpreter where this checkout's nclib cannot be imported (its
# editable-install finder removed, the working directory elsewhere): first with no nclib at all, then
# with a netcat-like `nclib` package (argv[2]) first on sys.path. Prints one line per attempt.
LOAD = """
import importlib, sys
sys.meta_path[:] = [f for f in sys.meta_path if "__editable__" not in getattr(f, "__module__", "")]
sys.path[:] = [p for p in sys.path if p not in ("", {root!r}) and "__editable__" not in p]
from transformers import AutoModelForCausalLM

def attempt():
    for name in [m for m in sys.modules if m.split(".")[0] in ("nclib", "transformers_modules")]:
        del sys.modules[name]
    importlib.invalidate_caches()
    try:
        AutoModelForCausalLM.from_pretrained(sys.argv[1], trust_remote_code=True)
    except Exception as err:
        print(type(err).__name__ + ": " + str(err).replace(chr(10), "<newline>"))
    else:
        print("loaded")

attempt()
sys.path.insert(0, sys.argv[2])
attempt()
"""


@pytest.fixture(scope="module")
def load_without_nclib(saved_model, tmp_path_factory) -> tuple[str, str, Path]:
    """(the line printed with no nclib, the line printed with the netcat nclib, that package's directory)."""
    tmp = tmp_path_factory.mktemp("no_nclib")
    pkg = tmp / "site" / "nclib"
    pkg.mkdir(parents=True)
    (pkg / "__init__.py").write_text('"""A netcat library."""\n\n\nclass Netcat:\n    pass\n')
    env = {**os.environ, "OMP_NUM_THREADS": "1", "HF_MODULES_CACHE": str(tmp / "modules"), "HF_HUB_OFFLINE": "1"}
    env.pop("PYTHONPATH", None)
    res = subprocess.run([sys.executable, "-c", LOAD.format(root=str(ROOT)), str(saved_model), str(tmp / "site")],
                         cwd=tmp, capture_output=True, text=True, timeout=600, env=env)
    assert res.returncode == 0, res.stderr[-3000:]
    missing, wrong = res.stdout.strip().splitlines()[-2:]
    return missing, wrong, pkg


def test_remote_code_without_nclib_names_the_distribution(load_without_nclib):
    line = load_without_nclib[0]
    assert line.startswith("ImportError: ") and "<newline>" not in line, line
    assert f"pip install {DISTRIBUTION}" in line and "not installed" in line, line
    assert "pip install nclib`" not in line and "pip install nclib " not in line + " ", line


def test_remote_code_with_the_netcat_nclib_names_the_distribution(load_without_nclib):
    """The fake package imports as nclib but has no nclib.errors / nclib.model: the message says
    where the stray package is and how to replace it. (With the real nclib the saved directory
    loads: tests/model/test_modeling.py::test_trust_remote_code_loading.)"""
    line, pkg = load_without_nclib[1], load_without_nclib[2]
    assert line.startswith("ImportError: ") and "<newline>" not in line, line
    assert f"pip uninstall -y nclib && pip install {DISTRIBUTION}" in line, line
    assert str(pkg) in line, line
