"""User datasets (nclib.data.userdata): JSONL, CSV and saved HF datasets load into the columns the
recipe and the evaluation read, split deterministically, leave the source untouched, and every
bad input is one DatasetError naming the file, the row and the column."""

from __future__ import annotations

import csv
import json
import os
import random

import datasets
import pytest

from nclib.evals.exact_match import sample_rows, write_results
from nclib.data.userdata import COLUMNS, DatasetError, DatasetSpec, load_user_dataset


def examples(n: int = 40, seed: int = 0) -> list[dict]:
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        xs = [rng.randrange(10) for _ in range(rng.randrange(2, 7))]
        out.append({"prompt": f"Largest of {' '.join(map(str, xs))} = ", "answer": str(max(xs)), "n": len(xs)})
    return out


def write_jsonl(path, recs) -> str:
    path.write_text("".join(json.dumps(r) + "\n" for r in recs))
    return str(path)


def write_csv(path, recs, columns=("prompt", "answer", "n")) -> str:
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(columns)
        for r in recs:
            w.writerow([r[c] for c in columns])
    return str(path)


def snapshot(root) -> dict:
    """Every file under root with its size and modification time."""
    return {os.path.join(d, f): (os.stat(os.path.join(d, f)).st_size, os.stat(os.path.join(d, f)).st_mtime_ns)
            for d, _, files in os.walk(root) for f in files}


def check_split(dd, recs, fraction):
    assert list(dd) == ["train", "test"]
    assert len(dd["test"]) == round(fraction * len(recs)) and len(dd["train"]) + len(dd["test"]) == len(recs)
    for split, ds in dd.items():
        assert tuple(ds.column_names) == COLUMNS
        assert set(ds["split"]) == {split} and set(ds["style"]) == {"user"}
    prompts = sorted(list(dd["train"]["prompt"]) + list(dd["test"]["prompt"]))
    assert prompts == sorted(r["prompt"] for r in recs)


def test_jsonl_loads_and_splits_deterministically(tmp_path):
    recs = examples()
    path = write_jsonl(tmp_path / "largest.jsonl", recs)
    dd = load_user_dataset({"path": path, "test_fraction": 0.25}, seed=3)
    check_split(dd, recs, 0.25)
    assert set(dd["train"]["task"]) == {"largest"}  # the file name without its extension
    assert set(dd["train"]["size"]) == {-1}
    again = load_user_dataset({"path": path, "test_fraction": 0.25}, seed=3)
    assert again["test"].to_list() == dd["test"].to_list()
    other = load_user_dataset({"path": path, "test_fraction": 0.25}, seed=4)
    assert list(other["test"]["prompt"]) != list(dd["test"]["prompt"])


def test_jsonl_numbers_and_lists_become_answer_text(tmp_path):
    recs = [{"prompt": "Sort 3 1 2: ", "answer": [1, 2, 3]}, {"prompt": "Max of 3 1 2 = ", "answer": 3},
            {"prompt": "Is 3 1 2 sorted?", "answer": " No"}, {"prompt": "gcd(4, 6) = ", "answer": "2"}]
    dd = load_user_dataset({"path": write_jsonl(tmp_path / "mixed.jsonl", recs), "test_fraction": 0.5, "name": "mixed"})
    answers = {r["prompt"]: r["answer"] for s in dd for r in dd[s]}
    assert answers == {"Sort 3 1 2: ": "1, 2, 3", "Max of 3 1 2 = ": "3", "Is 3 1 2 sorted?": " No", "gcd(4, 6) = ": "2"}
    assert set(dd["test"]["task"]) == {"mixed"}


def test_csv_with_own_column_names_and_size(tmp_path):
    recs = [{"question": r["prompt"], "solution": r["answer"], "length": r["n"]} for r in examples(30)]
    path = write_csv(tmp_path / "largest.csv", recs, ("question", "solution", "length"))
    spec = {"path": path, "prompt_column": "question", "answer_column": "solution", "size_column": "length", "test_fraction": 0.2}
    dd = load_user_dataset(spec, seed=1)
    check_split(dd, [{"prompt": r["question"]} for r in recs], 0.2)
    by_prompt = {r["question"]: r for r in recs}
    for row in dd["train"]:
        assert row["answer"] == by_prompt[row["prompt"]]["solution"] and row["size"] == by_prompt[row["prompt"]]["length"]
    assert load_user_dataset(spec, seed=1)["train"].to_list() == dd["train"].to_list()


def test_saved_dataset_without_splits_is_split(tmp_path):
    recs = examples(20)
    datasets.Dataset.from_list(recs).save_to_disk(str(tmp_path / "saved"))
    dd = load_user_dataset({"path": str(tmp_path / "saved"), "size_column": "n"}, seed=0)
    check_split(dd, recs, 0.1)
    assert load_user_dataset({"path": str(tmp_path / "saved"), "size_column": "n"}, seed=0)["test"].to_list() == dd["test"].to_list()


def test_saved_dataset_dict_keeps_its_splits(tmp_path):
    recs = examples(30)
    source = datasets.DatasetDict({"training": datasets.Dataset.from_list(recs[:20]), "valid": datasets.Dataset.from_list(recs[20:25]),
                                   "hard": datasets.Dataset.from_list(recs[25:])})
    source.save_to_disk(str(tmp_path / "dd"))
    dd = load_user_dataset({"path": str(tmp_path / "dd"), "train_split": "training", "name": "largest"})
    assert list(dd) == ["train", "valid", "hard"]  # the train split is renamed; test splits keep their names
    assert list(dd["train"]["prompt"]) == [r["prompt"] for r in recs[:20]]
    assert set(dd["hard"]["split"]) == {"hard"} and set(dd["hard"]["task"]) == {"largest"}
    only = load_user_dataset({"path": str(tmp_path / "dd"), "train_split": "training", "test_splits": ["hard"]})
    assert list(only) == ["train", "hard"]


def test_loading_and_sampling_modify_nothing_on_disk(tmp_path):
    recs = examples(20)
    write_jsonl(tmp_path / "a.jsonl", recs)
    write_csv(tmp_path / "b.csv", recs)
    datasets.DatasetDict({"train": datasets.Dataset.from_list(recs[:15]), "test": datasets.Dataset.from_list(recs[15:])}).save_to_disk(
        str(tmp_path / "c"))
    before = snapshot(tmp_path)
    for name in ("a.jsonl", "b.csv", "c"):
        dd = load_user_dataset({"path": str(tmp_path / name)})
        sample_rows(dd, ["test"], 3, seed=0)
    assert snapshot(tmp_path) == before


def test_evaluation_writes_results_for_user_rows(tmp_path):
    dd = load_user_dataset({"path": write_jsonl(tmp_path / "largest.jsonl", examples(20)), "test_fraction": 0.5})
    rows = sample_rows(dd, ["test"], 5, seed=0)
    records = [{"model": "m", **{k: r[k] for k in COLUMNS}, "prediction": r["answer"], "correct": i % 2 == 0}
               for i, r in enumerate(rows)]
    table = write_results(records, tmp_path / "eval")
    assert "| largest | test | 60.0 % (5) |" in table
    assert (tmp_path / "eval" / "accuracy_by_size.png").stat().st_size > 0


BAD_JSONL = [
    ('{"prompt": "a = ", "answer": "1"}\n{"prompt": "b = ", "answer": \n', "line 2: not valid JSON"),
    ('{"prompt": "a = ", "answer": "1"}\n\n{"prompt": "b = "}\n', "line 3: missing column 'answer'"),
    ('{"prompt": 5, "answer": "1"}\n', "line 1: column 'prompt': the prompt must be non-empty text, got 5"),
    ('{"prompt": "  ", "answer": "1"}\n', "line 1: column 'prompt': the prompt must be non-empty text"),
    ('{"prompt": "a = ", "answer": "1"}\n{"prompt": "b = ", "answer": null}\n', "line 2: column 'answer': the answer is null"),
    ('{"prompt": "a = ", "answer": 1.5}\n', "line 1: column 'answer': the answer must be non-empty text"),
    ('["a = ", "1"]\n', "line 1: expected a JSON object"),
]


@pytest.mark.parametrize("text, message", BAD_JSONL, ids=["json", "missing", "prompt-type", "prompt-empty", "null", "float", "array"])
def test_bad_jsonl_names_file_line_and_column(tmp_path, text, message):
    path = tmp_path / "bad.jsonl"
    path.write_text(text)
    with pytest.raises(DatasetError) as err:
        load_user_dataset({"path": str(path)})
    assert str(err.value).startswith(f"{path}: ") and message in str(err.value)


@pytest.mark.parametrize("text, message", [
    ("question,answer\nx = ,1\n", "line 1 (header): missing column 'prompt'"),
    ("prompt,answer\na = ,1\nb = \n", "line 3: 1 fields, the header has 2 (prompt, answer)"),
    ("prompt,answer\nsort 2, 1 = ,1, 2\n", 'line 2: 4 fields, the header has 2 (prompt, answer); quote a field that holds commas, e.g. "1, 2, 3"'),
    ("prompt,answer\na = ,1\n,2\n", "line 3: column 'prompt': the prompt must be non-empty text"),
    ("prompt,answer\n\"a = \n\",1\nb = ,\n", "line 4: column 'answer': the answer must be non-empty text"),
    ("prompt,answer\na = ,1\nb = ," + "9" * 70_000 + "\n", "line 3: a field longer than the 65,536 characters"),
], ids=["header", "short-row", "unquoted-commas", "empty-prompt", "empty-answer-after-multiline", "huge-field"])
def test_bad_csv_names_file_line_and_column(tmp_path, text, message):
    path = tmp_path / "bad.csv"
    path.write_text(text)
    with pytest.raises(DatasetError) as err:
        load_user_dataset({"path": str(path)})
    assert str(err.value).startswith(f"{path}: ") and message in str(err.value)


def test_bad_saved_dataset_names_split_row_and_column(tmp_path):
    recs = examples(10)
    datasets.DatasetDict({"train": datasets.Dataset.from_list(recs), "test": datasets.Dataset.from_list(recs[:2])}).save_to_disk(
        str(tmp_path / "dd"))
    with pytest.raises(DatasetError, match=r"dd: split 'train': missing column 'question'"):
        load_user_dataset({"path": str(tmp_path / "dd"), "prompt_column": "question"})
    with pytest.raises(DatasetError, match=r"no split\(s\) \['valid'\]"):
        load_user_dataset({"path": str(tmp_path / "dd"), "test_splits": ["valid"]})
    nulls = [dict(r) for r in recs[:3]]
    nulls[1]["answer"] = None
    datasets.DatasetDict({"train": datasets.Dataset.from_list(recs), "test": datasets.Dataset.from_list(nulls)}).save_to_disk(
        str(tmp_path / "nulls"))
    with pytest.raises(DatasetError, match=r"nulls: split 'test' row 2: column 'answer': the answer is null"):
        load_user_dataset({"path": str(tmp_path / "nulls")})


def test_empty_split_is_refused(tmp_path):
    path = write_jsonl(tmp_path / "three.jsonl", examples(3))
    with pytest.raises(DatasetError, match=r"three.jsonl: split 'test' is empty \(3 rows, test_fraction 0.1\)"):
        load_user_dataset({"path": path})
    rows = datasets.Dataset.from_list(examples(3))
    empty = datasets.DatasetDict({"train": rows, "test": rows.select([])})
    empty.save_to_disk(str(tmp_path / "one_shard"), num_shards={"train": 1, "test": 1})
    with pytest.raises(DatasetError, match=r"one_shard: split 'test' is empty"):
        load_user_dataset({"path": str(tmp_path / "one_shard")})
    empty.save_to_disk(str(tmp_path / "no_shard"))  # the default: zero shards, which datasets cannot read back
    with pytest.raises(DatasetError, match=r"no_shard: split 'test' is empty \(saved with no rows\)"):
        load_user_dataset({"path": str(tmp_path / "no_shard")})
    (tmp_path / "blank.jsonl").write_text("\n")
    with pytest.raises(DatasetError, match=r"blank.jsonl: holds no rows"):
        load_user_dataset({"path": str(tmp_path / "blank.jsonl")})


def test_unknown_file_type_and_missing_path(tmp_path):
    (tmp_path / "data.txt").write_text("prompt answer\n")
    with pytest.raises(DatasetError, match=r"data.txt: unknown file type '.txt'; expected .jsonl, .csv"):
        load_user_dataset({"path": str(tmp_path / "data.txt")})
    with pytest.raises(DatasetError, match=r"nope.jsonl: no such file or directory"):
        load_user_dataset({"path": str(tmp_path / "nope.jsonl")})
    (tmp_path / "folder").mkdir()
    with pytest.raises(DatasetError, match=r"folder: not a dataset saved with save_to_disk"):
        load_user_dataset({"path": str(tmp_path / "folder")})


@pytest.mark.parametrize("raw, message", [
    ({"path": "x.jsonl", "prompt": "q"}, "unknown key(s) ['prompt']"),
    ({"name": "x"}, "path must name"),
    ({"path": "x.jsonl", "test_fraction": 1.0}, "test_fraction must be in (0, 1), got 1.0"),
    ({"path": "x.jsonl", "test_splits": ["train"]}, "must not contain the train split"),
    ({"path": "x.jsonl", "answer_column": 3}, "answer_column must be a string, got 3"),
], ids=["unknown-key", "no-path", "fraction", "train-as-test", "column-type"])
def test_bad_spec_is_named(raw, message):
    with pytest.raises(DatasetError) as err:
        DatasetSpec.from_dict(raw)
    assert message in str(err.value)


def test_csv_with_a_byte_order_mark_and_quoted_list_answers(tmp_path):
    """What spreadsheet programs write: a UTF-8 BOM before the header, list answers quoted."""
    path = tmp_path / "sheet.csv"
    rows = "".join(f'"sort {i + 2}, {i + 1} = ","{i + 1}, {i + 2}"\r\n' for i in range(10))
    path.write_bytes("\ufeffprompt,answer\r\n".encode() + rows.encode())
    dd = load_user_dataset({"path": str(path), "test_fraction": 0.2})
    got = sorted((r["prompt"], r["answer"]) for split in ("train", "test") for r in dd[split])
    assert got[0] == ("sort 10, 9 = ", "9, 10") and len(got) == 10


def test_jsonl_with_a_byte_order_mark(tmp_path):
    path = tmp_path / "notepad.jsonl"
    path.write_bytes("\ufeff".encode() + "".join(json.dumps(r) + "\n" for r in examples(10)).encode())
    dd = load_user_dataset({"path": str(path), "test_fraction": 0.2})
    assert len(dd["train"]) + len(dd["test"]) == len({r["prompt"] for r in examples(10)})


def test_a_huge_jsonl_row_is_refused_before_it_is_parsed(tmp_path):
    path = tmp_path / "big.jsonl"
    path.write_text('{"prompt": "a = ", "answer": "1"}\n' + json.dumps({"prompt": "x" * 300_000, "answer": "1"}) + "\n")
    with pytest.raises(DatasetError, match=r"big.jsonl: line 2: 300,\d{3} characters, more than a row may have"):
        load_user_dataset({"path": str(path)})
    path.write_text('{"prompt": "a = ", "answer": "1"}\n' + json.dumps({"prompt": "x" * 70_000, "answer": "1"}) + "\n")
    with pytest.raises(DatasetError, match=r"big.jsonl: line 2: column 'prompt': 70,000 characters, more than the 65,536"):
        load_user_dataset({"path": str(path)})


def test_repeated_rows_never_reach_both_splits(tmp_path):
    """12 distinct rows each written three times: every repeat is dropped before the cut (a
    warning counts them), so no test prompt is a training prompt (issue 29)."""
    recs = examples(12) * 3
    path = tmp_path / "dups.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in recs))
    with pytest.warns(UserWarning, match=r"dups.jsonl: 24 rows repeat an earlier row's prompt and answer"):
        dd = load_user_dataset({"path": str(path), "test_fraction": 0.25})
    assert len(dd["train"]) + len(dd["test"]) == 12
    assert not set(dd["train"]["prompt"]) & set(dd["test"]["prompt"])
    conflict = tmp_path / "conflict.jsonl"
    conflict.write_text(json.dumps(recs[0]) + "\n" + json.dumps(recs[1]) + "\n" + json.dumps({**recs[0], "answer": "999"}) + "\n")
    with pytest.raises(DatasetError, match=r"conflict.jsonl: line 3: the same prompt as line 1 with another answer \('999', there"):
        load_user_dataset({"path": str(conflict)})


def test_saved_test_split_rows_seen_in_training_are_left_out(tmp_path):
    recs = examples(20)
    datasets.DatasetDict({"train": datasets.Dataset.from_list(recs[:15]),
                          "test": datasets.Dataset.from_list(recs[10:])}).save_to_disk(str(tmp_path / "dd"))
    with pytest.warns(UserWarning, match=r"dd: 5 of the 10 rows of split 'test' have a prompt of split 'train'"):
        dd = load_user_dataset({"path": str(tmp_path / "dd")})
    assert list(dd["test"]["prompt"]) == [r["prompt"] for r in recs[15:]]
    datasets.DatasetDict({"train": datasets.Dataset.from_list(recs),
                          "test": datasets.Dataset.from_list(recs[:3])}).save_to_disk(str(tmp_path / "all_seen"))
    with pytest.raises(DatasetError, match=r"every row of split 'test' has a prompt of split 'train'"):
        load_user_dataset({"path": str(tmp_path / "all_seen")})
