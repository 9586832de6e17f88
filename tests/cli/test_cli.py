"""The nclib command line: compile, run (hard and soft), disasm, trace, check-stdlib, errors."""

import subprocess
import sys

import matplotlib.image
import pytest

from nclib.cli import main

GCD = "def gcd(a, b):\n    while b:\n        a, b = b, a % b\n    return a\n\ndef sort3(a: list[int]) -> list[int]:\n    if a[0] > a[1]:\n        a[0], a[1] = a[1], a[0]\n    return a\n"


@pytest.fixture
def source(tmp_path):
    path = tmp_path / "algo.py"
    path.write_text(GCD)
    return path


def test_run_hard_and_soft(source, capsys):
    main(["run", f"{source}:gcd", "84", "36"])
    assert capsys.readouterr().out.strip() == "12"
    main(["run", f"{source}:sort3", "[5, 2]", "--values", "0", "16", "--soft"])
    out = capsys.readouterr().out
    assert out.splitlines()[0] == "[2, 5]" and "halted mass 1.000000" in out


def test_compile_then_run_and_disasm_the_library(source, tmp_path, capsys):
    main(["compile", f"{source}:gcd", "-o", str(tmp_path / "lib")])
    main(["run", f"{tmp_path / 'lib'}:gcd", "10", "4"])
    assert capsys.readouterr().out.strip().endswith("2")
    main(["disasm", str(tmp_path / "lib")])
    assert "mod" in capsys.readouterr().out


def test_trace_writes_a_png(source, tmp_path):
    for soft in (False, True):
        out = tmp_path / f"trace_{soft}.png"
        main(["trace", f"{source}:gcd", "84", "36", "-o", str(out)] + (["--soft"] if soft else []))
        image = matplotlib.image.imread(out)
        assert image.shape[0] > 200 and image.shape[1] > 200 and image.std() > 0


def test_check_stdlib_small(tmp_path, capsys):
    main(["check-stdlib", "--out", str(tmp_path), "--n", "20", "--n-soft", "2"])
    out = capsys.readouterr().out
    from nclib.routines import ROUTINES

    assert f"{sum(map(len, ROUTINES.values()))} routines, 0 with mismatches" in out
    assert (tmp_path / "stdlib" / "manifest.json").is_file()
    assert (tmp_path / "traces" / "fib.png").is_file()
    assert (tmp_path / "listings" / "insertion_sort.txt").read_text().count("\n") > 10


def test_errors_are_one_clear_line(source, tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text("def f(x):\n    yield x\n")
    for args, text in [([f"{bad}:f", "2"], "not supported"), ([f"{source}:gcd", "300", "4"], "outside the value window"),
                       ([f"{tmp_path}/missing.py", "1"], "no such file"), ([f"{source}:gcd", "x", "4"], "not an int")]:
        proc = subprocess.run([sys.executable, "-m", "nclib.cli", "run", *args], capture_output=True, text=True)
        assert proc.returncode != 0
        assert text in proc.stderr and "Traceback" not in proc.stderr, proc.stderr
