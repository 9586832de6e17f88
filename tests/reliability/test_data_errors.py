"""Data errors: a null prompt, a string size, an empty split or a non-string answer each raise one
line naming the file, the row, the column and the problem, for the built-in task datasets
(nclib.tasks.load_task, both label modes, on every row) and for a user's (prompt, answer) data
(nclib.data.userdata: JSONL, CSV and saved datasets)."""

import csv
import json

import datasets
import pytest

from nclib.errors import NclibError
from nclib.tasks import TaskDataError, build_task, load_task
from nclib.data.userdata import DatasetError, load_user_dataset


def one_line(err) -> str:
    message = str(err.value)
    assert "\n" not in message, message
    assert isinstance(err.value, NclibError)
    return message


# --- built-in task datasets -------------------------------------------------------------------

@pytest.fixture(scope="module")
def add_data(tmp_path_factory):
    """A small saved `add` task (40 train rows, 6 per test split)."""
    path = tmp_path_factory.mktemp("tasks") / "add"
    build_task("add", n_train=40, n_test=6, seed=0).save_to_disk(str(path))
    return path


def saved_with(src, dest, split: str, row: int, column: str, value, feature=None):
    """A copy of the task at `src` saved to `dest` with one cell changed (and that column's type)."""
    dd = datasets.load_from_disk(str(src))
    rows = dd[split].to_list()
    rows[row][column] = value
    features = dd[split].features.copy()
    if feature is not None:
        features[column] = feature
    dd[split] = datasets.Dataset.from_list(rows, features=features)
    dd.save_to_disk(str(dest))
    return dest


@pytest.mark.parametrize("labels", [True, False], ids=["labels", "answers"])
@pytest.mark.parametrize("column, value, feature, problem", [
    ("prompt", None, None, "column 'prompt' must be a non-empty string, got None"),
    ("prompt", "  ", None, "column 'prompt' must be a non-empty string, got '  '"),
    ("answer", None, None, "column 'answer' must be a non-empty string, got None"),
    ("size", None, None, "column 'size' must be an int, got None (NoneType)"),
], ids=["null-prompt", "blank-prompt", "null-answer", "null-size"])
def test_task_row_problem_is_named_past_the_checked_rows(add_data, tmp_path, labels, column, value, feature, problem):
    """Row 30 of train, past check_rows=5 (which only limits the recomputed target/answer check)."""
    path = saved_with(add_data, tmp_path / "bad", "train", 30, column, value, feature)
    with pytest.raises(TaskDataError) as err:
        load_task(path, check_rows=5, labels=labels)
    assert one_line(err) == f"{path}: split 'train' row 30: {problem}"


@pytest.mark.parametrize("labels", [True, False], ids=["labels", "answers"])
def test_task_string_size_is_named(add_data, tmp_path, labels):
    path = saved_with(add_data, tmp_path / "bad", "test_ood", 2, "size", "three", datasets.Value("string"))
    with pytest.raises(TaskDataError) as err:
        load_task(path, labels=labels)
    # the whole column of that split became strings: its first row is named
    first = datasets.load_from_disk(str(add_data))["test_ood"][0]["size"]
    assert one_line(err) == f"{path}: split 'test_ood' row 0: column 'size' must be an int, got '{first}' (str)"


@pytest.mark.parametrize("labels", [True, False], ids=["labels", "answers"])
def test_task_non_string_answer_is_named(add_data, tmp_path, labels):
    path = saved_with(add_data, tmp_path / "bad", "test_iid", 0, "answer", 7, datasets.Value("int64"))
    with pytest.raises(TaskDataError) as err:
        load_task(path, labels=labels)
    assert one_line(err) == f"{path}: split 'test_iid' row 0: column 'answer' must be a non-empty string, got 7"


@pytest.mark.parametrize("num_shards", [None, 1], ids=["no-shard", "one-shard"])
def test_task_empty_split_is_named(add_data, tmp_path, num_shards):
    """datasets saves an empty split as zero shards by default (and then cannot read it back)."""
    dd = datasets.load_from_disk(str(add_data))
    dd["test_iid"] = dd["test_iid"].select([])
    path = tmp_path / "bad"
    dd.save_to_disk(str(path), **({"num_shards": {s: 1 for s in dd}} if num_shards else {}))
    for labels in (True, False):
        with pytest.raises(TaskDataError) as err:
            load_task(path, labels=labels)
        assert one_line(err).startswith(f"{path}: split 'test_iid' is empty ("), one_line(err)
        assert "rebuild the task data" in one_line(err)


def test_task_row_in_the_wrong_split_is_named(add_data, tmp_path):
    path = saved_with(add_data, tmp_path / "bad", "train", 3, "split", "test_iid")
    with pytest.raises(TaskDataError) as err:
        load_task(path, labels=False)
    assert one_line(err) == f"{path}: split 'train' row 3: column 'split' is 'test_iid', expected 'train'"


def test_task_data_that_is_fine_loads(add_data):
    for labels in (True, False):
        dd = load_task(add_data, labels=labels)
        assert len(dd["train"]) == 40 and len(dd["test_iid"]) == 6


# --- user datasets ---------------------------------------------------------------------------

ROWS = [{"prompt": f"Count the inversions of {i} {i + 2} {i + 1} ->", "answer": "1", "n": 3} for i in range(10)]


def jsonl(path, rows):
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return str(path)


@pytest.mark.parametrize("cell, value, problem", [
    ("prompt", None, "column 'prompt': the prompt must be non-empty text, got None"),
    ("answer", None, "column 'answer': the answer is null"),
    ("answer", {"value": 1}, "column 'answer': the answer must be non-empty text, an int or a list of ints, got {'value': 1}"),
    ("answer", True, "column 'answer': the answer must be non-empty text, an int or a list of ints, got True"),
    ("answer", 2.5, "column 'answer': the answer must be non-empty text, an int or a list of ints, got 2.5"),
    ("answer", [1, "x"], "column 'answer': the answer must be non-empty text, an int or a list of ints, got [1, 'x']"),
    ("n", "three", "column 'n': the size must be an int, got 'three'"),
    ("n", None, "column 'n': the size must be an int, got None"),
], ids=["null-prompt", "null-answer", "dict-answer", "bool-answer", "float-answer", "mixed-list-answer", "string-size",
        "null-size"])
def test_user_jsonl_row_problem_names_file_line_and_column(tmp_path, cell, value, problem):
    rows = [dict(r) for r in ROWS]
    rows[6][cell] = value
    path = jsonl(tmp_path / "data.jsonl", rows)
    with pytest.raises(DatasetError) as err:
        load_user_dataset({"path": path, "size_column": "n"})
    assert one_line(err) == f"{path}: line 7: {problem}"


def test_user_csv_string_size_and_empty_prompt(tmp_path):
    path = tmp_path / "data.csv"
    with open(path, "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=["prompt", "answer", "n"])
        w.writeheader()
        w.writerows(ROWS[:4] + [{**ROWS[4], "n": "three"}])
    with pytest.raises(DatasetError) as err:
        load_user_dataset({"path": str(path), "size_column": "n"})
    assert one_line(err) == f"{path}: line 6: column 'n': the size must be an int, got 'three'"
    with open(path, "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=["prompt", "answer"])
        w.writeheader()
        w.writerows([{"prompt": r["prompt"], "answer": r["answer"]} for r in ROWS[:2]] + [{"prompt": "", "answer": "1"}])
    with pytest.raises(DatasetError) as err:
        load_user_dataset({"path": str(path)})
    assert one_line(err) == f"{path}: line 4: column 'prompt': the prompt must be non-empty text, got ''"


def test_user_empty_splits_are_named(tmp_path):
    blank = tmp_path / "blank.jsonl"
    blank.write_text("\n\n")
    with pytest.raises(DatasetError) as err:
        load_user_dataset({"path": str(blank)})
    assert one_line(err) == f"{blank}: holds no rows; add (prompt, answer) rows"
    few = jsonl(tmp_path / "few.jsonl", ROWS[:3])
    with pytest.raises(DatasetError) as err:
        load_user_dataset({"path": few, "test_fraction": 0.1})
    assert one_line(err) == f"{few}: split 'test' is empty (3 rows, test_fraction 0.1); add rows or change test_fraction"
    rows = datasets.Dataset.from_list([{"prompt": r["prompt"], "answer": r["answer"]} for r in ROWS])
    saved = tmp_path / "saved"
    datasets.DatasetDict({"train": rows, "exam": rows.select([])}).save_to_disk(str(saved))
    with pytest.raises(DatasetError) as err:
        load_user_dataset({"path": str(saved)})
    assert one_line(err) == f"{saved}: split 'exam' is empty (saved with no rows); save it with at least one row"


def test_user_saved_dataset_row_problem_names_split_row_and_column(tmp_path):
    rows = [{"prompt": r["prompt"], "answer": r["answer"], "n": str(r["n"])} for r in ROWS]
    rows[4]["n"] = "four"
    saved = tmp_path / "saved"
    ds = datasets.Dataset.from_list(rows)
    datasets.DatasetDict({"train": ds, "exam": ds.select(range(3))}).save_to_disk(str(saved))
    with pytest.raises(DatasetError) as err:
        load_user_dataset({"path": str(saved), "size_column": "n"})
    assert one_line(err) == f"{saved}: split 'train' row 5: column 'n': the size must be an int, got 'four'"
    rows[4]["n"], rows[2]["prompt"] = "4", None
    ds = datasets.Dataset.from_list(rows)
    single = tmp_path / "single"
    ds.save_to_disk(str(single))
    with pytest.raises(DatasetError) as err:
        load_user_dataset({"path": str(single), "size_column": "n"})
    assert one_line(err) == f"{single}: row 3: column 'prompt': the prompt must be non-empty text, got None"
