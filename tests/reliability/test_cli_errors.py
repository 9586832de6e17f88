"""Every `nclib` subcommand stops on bad input with one line on stderr,
`nclib <command>: error: <message>`, that names the bad value; exit code 2 for usage errors and 1
for errors while running; no traceback unless `--debug`. Also: `trace` and `run --soft` report
the error `run` reports instead of drawing or printing a wrapped value."""

from __future__ import annotations

import json
import subprocess
import sys

import matplotlib.image
import pytest

import nclib
import nclib.cli.disasm
from nclib.cli import main
from nclib.errors import ValueRangeError

SOURCE = """\
def add(a, b):
    return a + b

def gcd(a, b):
    while b:
        a, b = b, a % b
    return a

def spin(n):
    while n != 0:
        n = n
    return n

def count(n):
    c = 0
    for i in range(n):
        c = (c + i) % 7
    return c
"""


@pytest.fixture
def src(tmp_path):
    path = tmp_path / "algo.py"
    path.write_text(SOURCE)
    return path


def fails(capsys, argv, code, *words, lines=1):
    """Run `nclib argv` in-process: it must exit with `code` and print `lines` line(s) on stderr,
    starting `nclib <command>: error:`, holding every word of `words`."""
    with pytest.raises(SystemExit) as stop:
        main([str(x) for x in argv])
    out = capsys.readouterr()
    err = out.err.strip()
    assert stop.value.code == code, (stop.value.code, err)
    assert "Traceback" not in err
    assert len(err.splitlines()) == lines, err
    command = " ".join(["nclib", *[str(x) for x in argv[:2 if argv[0] == "analyze" else 1]]])
    assert err.startswith(f"{command}: error: "), err
    for word in words:
        assert word in err, (word, err)
    return out


def test_top_level_usage(capsys):
    with pytest.raises(SystemExit) as stop:
        main([])
    err = capsys.readouterr().err.strip()
    assert stop.value.code == 2 and len(err.splitlines()) == 1 and "command" in err
    with pytest.raises(SystemExit) as stop:
        main(["frobnicate"])
    err = capsys.readouterr().err.strip()
    assert stop.value.code == 2 and len(err.splitlines()) == 1 and "'frobnicate'" in err


@pytest.mark.parametrize("cmd", ["compile", "run", "disasm", "trace"])
def test_target_options_are_checked_at_parse_time(capsys, src, tmp_path, cmd):
    extra = {"compile": ["-o", tmp_path / "lib"], "trace": ["-o", tmp_path / "t.png"]}.get(cmd, [])
    target = f"{src}:gcd"
    fails(capsys, [cmd, target, *extra, "--values", "0", "1.5"], 2, "--values", "'1.5'")
    fails(capsys, [cmd, target, *extra, "--values", "9", "2"], 2, "--values", "9 2")
    fails(capsys, [cmd, target, *extra, "--memory", "1.5"], 2, "--memory", "'1.5'")
    fails(capsys, [cmd, target, *extra, "--memory", "0"], 2, "--memory", "'0'")
    fails(capsys, [cmd, target, *extra, "--stack", "-1"], 2, "--stack", "'-1'")
    fails(capsys, [cmd, f"{src}:nosuch", *extra], 2, "'nosuch'", "gcd")
    fails(capsys, [cmd, tmp_path / "missing.py", *extra], 2, "missing.py")


def test_compile_errors(capsys, src, tmp_path):
    broken = tmp_path / "broken.py"
    broken.write_text("def f(x:\n    return x\n")
    fails(capsys, ["compile", broken, "-o", tmp_path / "lib"], 1, "broken.py:1", "not valid Python")
    gen = tmp_path / "gen.py"
    gen.write_text("def f(x):\n    yield x\n")
    fails(capsys, ["compile", gen, "-o", tmp_path / "lib"], 1, "gen.py:2", "not supported")
    blocker = tmp_path / "file"
    blocker.write_text("")
    fails(capsys, ["compile", f"{src}:gcd", "-o", blocker / "lib"], 1, str(blocker / "lib"))
    fails(capsys, ["compile", f"{src}:gcd", "--values", "0", str(2 ** 70), "-o", tmp_path / "lib"], 1, str(2 ** 70))
    fails(capsys, ["compile", f"{src}:gcd"], 2, "-o")


def test_run_errors(capsys, src):
    fails(capsys, ["run", f"{src}:gcd", "1.5", "2"], 2, "'1.5'")
    fails(capsys, ["run", f"{src}:gcd", "True", "2"], 2, "'True'")
    fails(capsys, ["run", f"{src}:gcd", "[1, 'a']", "2"], 2, "[1, 'a']")
    fails(capsys, ["run", f"{src}:gcd", "1"], 2, "takes 2 arguments")
    fails(capsys, ["run", f"{src}:gcd", "300", "2"], 1, "300", "value window")
    fails(capsys, ["run", f"{src}:add", "255", "1"], 1, "256", "line 2")
    fails(capsys, ["run", f"{src}:gcd", "8", "2", "--max-steps", "0"], 2, "--max-steps", "'0'")
    fails(capsys, ["run", f"{src}:count", "50", "--max-steps", "40"], 1, "max_steps=")
    fails(capsys, ["run", f"{src}:spin", "3"], 1, "does not halt", "line 10", "while n != 0:")
    huge = "9" * 95_000  # past Python's 4,300-digit limit for reading an int: named, not echoed whole
    err = fails(capsys, ["run", f"{src}:gcd", huge, "2"], 2, "95,000 characters", "more than 4,300 digits").err
    assert len(err) < 400


def test_compile_into_a_saved_library_needs_overwrite(capsys, src, tmp_path):
    main(["compile", f"{src}:gcd", "-o", str(tmp_path / "lib")])
    fails(capsys, ["compile", f"{src}:add", "-o", tmp_path / "lib"], 1, "already holds a saved library", "--overwrite")
    assert "writable" not in capsys.readouterr().err
    main(["compile", f"{src}:add", "-o", str(tmp_path / "lib"), "--overwrite"])
    assert [p.name for p in nclib.Library.load(tmp_path / "lib")] == ["add"]


def test_run_shows_list_arguments_changed_in_place(capsys, tmp_path):
    """A routine that sorts its argument in place and returns None: `nclib run` prints the result
    (None), then each list argument the run changed."""
    path = tmp_path / "isort.py"
    path.write_text("def isort(a: list[int], b: list[int]) -> None:\n"
                    "    for i in range(1, len(a)):\n        x = a[i]\n        j = i\n"
                    "        while j > 0 and a[j - 1] > x:\n            a[j] = a[j - 1]\n            j -= 1\n"
                    "        a[j] = x\n")
    main(["run", f"{path}:isort", "[3, 1, 2]", "[5, 4]"])
    assert capsys.readouterr().out.splitlines() == ["None", "a = [1, 2, 3]"]  # b is unchanged


def test_run_soft_reports_the_hard_error(capsys, src):
    """The soft machine wraps 255 + 1 to 0; `run --soft` must not print that as a result."""
    out = fails(capsys, ["run", f"{src}:add", "255", "1", "--soft", "--values", "0", "256"], 1, "256", "line 2")
    assert out.out == ""
    fails(capsys, ["run", f"{src}:spin", "3", "--soft", "--values", "0", "16"], 1, "does not halt", "line 10")
    main(["run", f"{src}:add", "254", "1", "--soft"])
    assert capsys.readouterr().out.splitlines()[0] == "255"


def test_trace_reports_the_error_and_draws_up_to_it(capsys, src, tmp_path):
    png = tmp_path / "add.png"
    out = fails(capsys, ["trace", f"{src}:add", "255", "1", "-o", png], 1, "256", "outside the value window", "line 2")
    assert "up to the error" in out.out and matplotlib.image.imread(png).std() > 0
    fails(capsys, ["trace", f"{src}:spin", "3", "-o", tmp_path / "spin.png"], 1, "does not halt", "line 10")
    fails(capsys, ["trace", f"{src}:add", "255", "1", "-o", tmp_path / "soft.png", "--soft"], 1, "256")
    assert not (tmp_path / "soft.png").exists()
    fails(capsys, ["trace", f"{src}:gcd", "8", "2", "-o", tmp_path / "trace.txt"], 2, "trace.txt", ".png")
    fails(capsys, ["trace", f"{src}:gcd", "8", "2", "-o", tmp_path], 2, "is a directory")
    fails(capsys, ["trace", f"{src}:count", "50", "-o", tmp_path / "c.png", "--max-steps", "30"], 1, "max_steps=")


def test_disasm_errors(capsys, tmp_path):
    (tmp_path / "notalib").mkdir()
    fails(capsys, ["disasm", tmp_path / "notalib"], 1, "notalib")


def test_check_stdlib_errors(capsys, tmp_path):
    fails(capsys, ["check-stdlib", "--n", "0"], 2, "--n", "'0'")
    fails(capsys, ["check-stdlib", "--n-soft", "x"], 2, "--n-soft", "'x'")
    fails(capsys, ["check-stdlib", "--max-len", "-2"], 2, "--max-len")
    blocker = tmp_path / "file"
    blocker.write_text("")
    fails(capsys, ["check-stdlib", "--out", blocker / "out"], 1, str(blocker / "out"))


def test_train_errors(capsys, tmp_path):
    fails(capsys, ["train", tmp_path / "missing.yaml"], 2, "missing.yaml")
    fails(capsys, ["train", "train/configs/x.yaml", "--stop-at", "-1"], 2, "--stop-at", "'-1'")
    bad = tmp_path / "bad.yaml"
    bad.write_text("stepz: 3\n")
    fails(capsys, ["train", bad], 2, "bad.yaml", "stepz")


def test_eval_errors(capsys, tmp_path):
    data = ["--data", tmp_path / "data", "--out", tmp_path / "eval"]
    fails(capsys, ["eval", "--model", "smollm2", *data], 2, "NAME=", "'smollm2'")
    fails(capsys, ["eval", "--model", f"m={tmp_path / 'nomodel'}", *data], 2, "nomodel")
    fails(capsys, ["eval", "--model", "a=smollm2", "--model", "a=smollm2", *data], 2, "distinct")
    fails(capsys, ["eval", "--model", "a=smollm2", "--tasks", "sorting", *data], 2, "'sorting'", "sort")
    fails(capsys, ["eval", "--model", "a=smollm2", "--n", "-5", *data], 2, "--n", "'-5'")
    fails(capsys, ["eval", "--model", "a=smollm2", "--batch-size", "0.5", *data], 2, "--batch-size", "'0.5'")
    fails(capsys, ["eval", "--model", f"a={tmp_path}", "--no-call", "3", *data], 2, "--no-call-reference")
    fails(capsys, ["eval", *data], 2, "--model")
    assert not (tmp_path / "data").exists()


def test_analyze_errors(capsys, tmp_path):
    out = ["--out", tmp_path / "an"]
    fails(capsys, ["analyze", "attention", "--model", tmp_path / "nomodel", *out], 2, "nomodel")
    fails(capsys, ["analyze", "attention", "--model", "smollm2", "--index", "-1", *out], 2, "--index", "'-1'")
    fails(capsys, ["analyze", "representations", "--model", "smollm2", "--method", "umap", "--prompt", "x", *out], 2, "'umap'")
    fails(capsys, ["analyze", "representations", "--model", "smollm2", "--color-by", "size", "--prompt", "x", *out], 2, "'size'")
    fails(capsys, ["analyze", "representations", "--model", "smollm2", "--n", "0", *out], 2, "--n", "'0'")
    fails(capsys, ["analyze", "traces", "--routine", "quicksort", "--prompt", "x", *out], 2, "'quicksort'", "reachable")
    fails(capsys, ["analyze", "traces", "--dataset", tmp_path / "nodata", *out], 2, "nodata")
    fails(capsys, ["analyze", "sweep", "--predictions", tmp_path / "none.jsonl", *out], 2, "none.jsonl")
    rows = tmp_path / "p.jsonl"
    rows.write_text(json.dumps({"task": "sort"}) + "\n")
    fails(capsys, ["analyze", "sweep", "--predictions", rows, *out], 1, "p.jsonl:1", "missing keys")
    with pytest.raises(SystemExit) as stop:
        main(["analyze"])
    err = capsys.readouterr().err.strip()
    assert stop.value.code == 2 and len(err.splitlines()) == 1 and err.startswith("nclib analyze: error:")


def test_unexpected_errors_say_how_to_see_the_traceback(capsys, src, monkeypatch):
    def broken(a):
        raise RuntimeError("something nclib did not expect\nacross two lines")

    monkeypatch.setattr(nclib.cli.disasm, "run", broken)
    fails(capsys, ["disasm", f"{src}:gcd"], 1, "RuntimeError", "did not expect across two lines", "--debug")


def test_debug_shows_the_traceback(capsys, src):
    with pytest.raises(ValueRangeError):
        main(["run", f"{src}:add", "255", "1", "--debug"])
    with pytest.raises(ValueRangeError):
        main(["--debug", "run", f"{src}:add", "255", "1"])


def test_a_real_process(src):
    """The installed entry point: exit code, one line, no traceback; --debug shows it."""
    run = [sys.executable, "-m", "nclib.cli", "run", f"{src}:add", "255", "1"]
    proc = subprocess.run(run, capture_output=True, text=True)
    assert proc.returncode == 1 and proc.stdout == ""
    assert proc.stderr.startswith("nclib run: error: add: result 256 is outside the value window") and proc.stderr.count("\n") == 1
    proc = subprocess.run(run + ["--debug"], capture_output=True, text=True)
    assert proc.returncode == 1 and "Traceback" in proc.stderr and "ValueRangeError" in proc.stderr


@pytest.mark.parametrize("command", ["run", "disasm"])
def test_compile_options_on_a_saved_library_are_refused_not_ignored(tmp_path, capsys, command):
    source = tmp_path / "inc.py"
    source.write_text("def inc(a: int) -> int:\n    return a + 1\n")
    main(["compile", f"{source}:inc", "-o", str(tmp_path / "lib")])
    capsys.readouterr()
    args = [command, str(tmp_path / "lib")] + (["3"] if command == "run" else []) + ["--values", "0", "16"]
    with pytest.raises(SystemExit) as exc:
        main(args)
    err = capsys.readouterr().err.strip()
    assert exc.value.code == 2 and len(err.splitlines()) == 1
    assert "keeps the options it was compiled with" in err and "--values" in err
