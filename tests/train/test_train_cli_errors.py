"""`nclib train` on a user's dataset and routines: each kind of bad input stops the run with one
line on stderr that names it (exit code 2; a routine that does not compile adds its problems, one
line each), before any training."""

from __future__ import annotations

import json

import pytest
import yaml

from nclib.cli import main


def _config(tmp_path, dataset: dict, library: list) -> str:
    cfg = {"model": "tiny", "variant": "augmented", "dataset": dataset, "library": library, "steps": 1, "batch_size": 2,
           "final_eval_n": 0, "output_dir": str(tmp_path / "run"), "threads": 1,
           "lora": {"r": 2, "alpha": 4, "dropout": 0.0, "target_modules": ["q_proj", "v_proj"]}}
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(cfg))
    return str(path)


def _rows(path, rows):
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return str(path)


GOOD = [{"prompt": f"Count the inversions of {i}, {i + 2}, 1: ", "answer": "2"} for i in range(3, 13)]
ROUTINE = "def count_inversions(xs):\n    c = 0\n    for i in range(len(xs)):\n        for j in range(i + 1, len(xs)):\n" \
          "            if xs[i] > xs[j]:\n                c += 1\n    return c\n"


def _case(tmp_path, name):
    good = _rows(tmp_path / "good.jsonl", GOOD)
    src = tmp_path / "mine.py"
    src.write_text(ROUTINE)
    lib = [{"source": f"{src}:count_inversions", "values": [0, 64]}]
    if name == "malformed dataset":
        bad = tmp_path / "bad.jsonl"
        bad.write_text(json.dumps(GOOD[0]) + "\n{not json\n")
        return _config(tmp_path, {"path": str(bad)}, lib), ["bad.jsonl", "line 2"]
    if name == "missing column":
        return _config(tmp_path, {"path": good, "answer_column": "reply"}, lib), ["good.jsonl", "reply"]
    if name == "empty split":
        one = _rows(tmp_path / "one.jsonl", GOOD[:1])
        return _config(tmp_path, {"path": one, "test_fraction": 0.5}, lib), ["one.jsonl", "empty"]
    if name == "unknown routine":
        return _config(tmp_path, {"path": good}, ["count_inversionz"]), ["count_inversionz"]
    if name == "routine that does not compile":
        broken = tmp_path / "broken.py"
        broken.write_text("def f(xs):\n    return {x for x in xs}\n")  # a set comprehension: still unsupported
        return _config(tmp_path, {"path": good}, [{"source": f"{broken}:f"}]), ["broken.py:2:12", "not supported"]
    raise AssertionError(name)


@pytest.mark.parametrize("name", ["malformed dataset", "missing column", "empty split", "unknown routine",
                                  "routine that does not compile"])
def test_bad_user_input_is_one_clear_line(tmp_path, capsys, name):
    config, words = _case(tmp_path, name)
    with pytest.raises(SystemExit) as stop:
        main(["train", config])
    assert stop.value.code == 2
    err = capsys.readouterr().err.strip()
    assert "Traceback" not in err
    # one line; a compile error adds one line per problem in the source (the compiler's format)
    assert len(err.splitlines()) == (2 if name == "routine that does not compile" else 1), err
    for w in words:
        assert w in err, (w, err)
    assert not (tmp_path / "run" / "metrics.jsonl").exists()
