"""A user's own `(prompt, answer)` dataset for `nclib train` (docs/design.md §8.3): a JSONL
file, a CSV file, or an HF `datasets` Dataset / DatasetDict saved with `save_to_disk`, read into
the DatasetDict the recipe and `nclib.evals.exact_match` use for the built-in tasks.

Output of `load_user_dataset`: a `datasets.DatasetDict` held in memory with a ``train`` split and
one or more test splits; every row has exactly `COLUMNS`:

* ``task``: the dataset's name (`DatasetSpec.name`, default the file or directory name without
  its extension); ``split``: the split the row is in;
* ``size``: the integer in `DatasetSpec.size_column` (evaluation plots accuracy against it), or
  -1 without one; ``style``: ``"user"``;
* ``prompt``: non-empty text that ends where the answer starts (the trigger of the call is the
  prompt's last token); ``answer``: the exact text after it. An answer stored as a number becomes
  its decimal text and a list of ints its elements joined by ``", "``, the way the model writes a
  routine's result; a numeric prompt ending in ``"= "`` pairs with an answer without a leading
  space, as in the built-in tasks.

Splits: the rows of a single file or a saved `Dataset` are shuffled with `random.Random(seed)`;
the first ``round(test_fraction * n)`` form ``test`` and the rest ``train`` (each kept in source
order). A saved `DatasetDict` keeps its splits: `train_split` becomes ``train`` and the
`test_splits` (default: every other split) keep their names.

Held out means held out: a row that repeats an earlier row's prompt and answer is dropped before
the cut (a warning gives the count), and the same prompt with two different answers is an error
naming both rows; in a saved DatasetDict, test rows whose prompt is also a training prompt are
dropped from the test split (a warning gives the count per split). The evaluation table says how
many evaluated rows were seen in training (`nclib.evals.exact_match.format_table`).

Bad input raises one `DatasetError` naming the file, the row (the 1-based line of a JSONL or CSV
file; the 1-based row of a split of a saved dataset) and the column. A CSV row must have as many
fields as the header (a field holding commas, such as a list answer, is quoted); a UTF-8 byte
order mark is allowed; a prompt or an answer longer than `MAX_TEXT_CHARS` characters is refused
before the row is parsed further. Loading only reads the source.
"""

from __future__ import annotations

import csv
import json
import random
import warnings
from dataclasses import dataclass, fields
from pathlib import Path

import datasets

from nclib.errors import NclibError

__all__ = ["COLUMNS", "DatasetError", "DatasetSpec", "empty_saved_splits", "load_user_dataset"]

COLUMNS = ("task", "split", "size", "style", "prompt", "answer")
FEATURES = datasets.Features({"task": datasets.Value("string"), "split": datasets.Value("string"),
                              "size": datasets.Value("int64"), "style": datasets.Value("string"),
                              "prompt": datasets.Value("string"), "answer": datasets.Value("string")})


class DatasetError(NclibError, ValueError):
    """A user dataset (or its spec) that cannot be used; the message names file, row and column."""


@dataclass(frozen=True)
class DatasetSpec:
    """Where a user dataset is and how to read it (the recipe's `dataset:` mapping)."""

    path: str  # a .jsonl file, a .csv file, or a directory written by save_to_disk
    name: str = ""  # the task column ("": the file or directory name without its extension)
    prompt_column: str = "prompt"
    answer_column: str = "answer"
    size_column: str = ""  # an integer column evaluation reports accuracy by ("": size -1)
    test_fraction: float = 0.1  # single file or Dataset: share of the rows held out as `test`
    train_split: str = "train"  # saved DatasetDict: the split trained on
    test_splits: tuple = ()  # saved DatasetDict: the splits evaluated (empty: every split but train_split)

    @classmethod
    def from_dict(cls, raw) -> "DatasetSpec":
        """A spec from a config mapping; DatasetError names an unknown key or a bad value."""
        known = [f.name for f in fields(cls)]
        if not isinstance(raw, dict):
            raise DatasetError(f"expected a mapping with keys {known}, got {raw!r}")
        unknown = sorted(set(raw) - set(known))
        if unknown:
            raise DatasetError(f"unknown key(s) {unknown}; keys: {known}")
        if not raw.get("path") or not isinstance(raw["path"], str):
            raise DatasetError(f"path must name a .jsonl / .csv file or a saved dataset directory, got {raw.get('path')!r}")
        for key in ("name", "prompt_column", "answer_column", "size_column", "train_split"):
            if key in raw and not isinstance(raw[key], str):
                raise DatasetError(f"{key} must be a string, got {raw[key]!r}")
        for key in ("prompt_column", "answer_column", "train_split"):
            if key in raw and not raw[key]:
                raise DatasetError(f"{key} must not be empty")
        fraction = raw.get("test_fraction", cls.test_fraction)
        if isinstance(fraction, bool) or not isinstance(fraction, (int, float)) or not 0 < fraction < 1:
            raise DatasetError(f"test_fraction must be in (0, 1), got {fraction!r}")
        tests = raw.get("test_splits", ())
        if not isinstance(tests, (list, tuple)) or not all(isinstance(s, str) and s for s in tests):
            raise DatasetError(f"test_splits must be a list of split names, got {tests!r}")
        train = raw.get("train_split", cls.train_split)
        if train in tests or "train" in tests:
            raise DatasetError(f"test_splits {list(tests)} must not contain the train split {train!r} nor 'train'")
        return cls(**{**raw, "test_splits": tuple(tests)})

    @property
    def task(self) -> str:
        return self.name or Path(self.path).stem


MAX_TEXT_CHARS = 65_536  # characters of a prompt or an answer: far beyond any context the models here read
_MAX_LINE_CHARS = 4 * MAX_TEXT_CHARS  # a JSONL line longer than this is refused before it is parsed


def load_user_dataset(spec: DatasetSpec | dict, seed: int = 0) -> datasets.DatasetDict:
    """The user dataset as a DatasetDict of `COLUMNS` rows (see the module docstring); `seed`
    fixes the train/test cut of a source without splits."""
    if isinstance(spec, dict):
        spec = DatasetSpec.from_dict(spec)
    path = Path(spec.path)
    if not path.exists():
        raise DatasetError(f"{path}: no such file or directory")
    if path.is_dir():
        source = _load_saved(path)
        if isinstance(source, datasets.DatasetDict):
            return _from_splits(path, source, spec)
        rows = [_row(f"{path}: row {i}", rec, spec) for i, rec in enumerate(_saved_rows(path, "", source, spec), 1)]
    elif path.suffix == ".jsonl":
        rows = [_row(where, rec, spec) for where, rec in _jsonl_records(path)]
    elif path.suffix == ".csv":
        rows = [_row(where, rec, spec) for where, rec in _csv_records(path, spec)]
    else:
        raise DatasetError(f"{path}: unknown file type {path.suffix!r}; expected .jsonl, .csv or a directory saved with save_to_disk")
    if not rows:
        raise DatasetError(f"{path}: holds no rows; add (prompt, answer) rows")
    rows = _unique_rows(path, rows)
    order = list(range(len(rows)))
    random.Random(seed).shuffle(order)
    n_test = round(spec.test_fraction * len(rows))
    cut = {"train": sorted(order[n_test:]), "test": sorted(order[:n_test])}
    for split, idx in cut.items():
        if not idx:
            raise DatasetError(f"{path}: split {split!r} is empty ({len(rows)} rows, test_fraction {spec.test_fraction}); "
                               f"add rows or change test_fraction")
    return datasets.DatasetDict({split: _dataset([rows[i] for i in idx], spec.task, split) for split, idx in cut.items()})


def _unique_rows(path: Path, rows: list[dict]) -> list[dict]:
    """`rows` without repeats of an earlier row's (prompt, answer), so that no test row is also a
    training row; the same prompt with another answer is a DatasetError naming both rows."""
    first: dict[str, dict] = {}
    out = []
    for row in rows:
        earlier = first.setdefault(row["prompt"], row)
        if earlier is row:
            out.append(row)
        elif earlier["answer"] != row["answer"]:
            raise DatasetError(f"{row['where']}: the same prompt as {earlier['where'].removeprefix(f'{path}: ')} with another "
                               f"answer ({row['answer']!r}, there {earlier['answer']!r}); keep one answer per prompt")
    if len(out) < len(rows):
        warnings.warn(f"{path}: {len(rows) - len(out)} rows repeat an earlier row's prompt and answer; each is kept once "
                      "(a repeat could land in both the train and the test split)", stacklevel=3)
    return out


def _dataset(rows: list[dict], task: str, split: str) -> datasets.Dataset:
    return datasets.Dataset.from_list([{"task": task, "split": split, "size": r["size"], "style": "user", "prompt": r["prompt"],
                                        "answer": r["answer"]} for r in rows], features=FEATURES)


def _row(where: str, rec: dict, spec: DatasetSpec) -> dict:
    """{prompt, answer, size} of one source record; `where` is "FILE: line N" or "DIR: row N"."""
    for column in (spec.prompt_column, spec.answer_column, spec.size_column):
        if column and column not in rec:
            raise DatasetError(f"{where}: missing column {column!r} (columns: {sorted(rec)})")
    prompt = rec[spec.prompt_column]
    if not isinstance(prompt, str) or not prompt.strip():
        raise DatasetError(f"{where}: column {spec.prompt_column!r}: the prompt must be non-empty text, got {_short(prompt)}")
    answer = _answer_text(where, spec.answer_column, rec[spec.answer_column])
    for column, text in ((spec.prompt_column, prompt), (spec.answer_column, answer)):
        if len(text) > MAX_TEXT_CHARS:
            raise DatasetError(f"{where}: column {column!r}: {len(text):,} characters, more than the {MAX_TEXT_CHARS:,} "
                               "a prompt or an answer may have")
    return {"prompt": prompt, "answer": answer, "where": where,
            "size": _size(where, spec.size_column, rec[spec.size_column]) if spec.size_column else -1}


def _short(value, limit: int = 80) -> str:
    """repr(value), cut to `limit` characters (an error message never echoes a whole row)."""
    text = repr(value)
    return text if len(text) <= limit else f"{text[:limit]}... ({len(text):,} characters)"


def _answer_text(where: str, column: str, value) -> str:
    if isinstance(value, list) and value and all(isinstance(v, int) and not isinstance(v, bool) for v in value):
        return ", ".join(str(v) for v in value)
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    if value is None:
        raise DatasetError(f"{where}: column {column!r}: the answer is null")
    if not isinstance(value, str) or not value.strip():
        raise DatasetError(f"{where}: column {column!r}: the answer must be non-empty text, an int or a list of ints, got {_short(value)}")
    return value


def _size(where: str, column: str, value) -> int:
    if isinstance(value, str):
        try:
            return int(value)
        except ValueError:
            pass
    elif isinstance(value, int) and not isinstance(value, bool):
        return value
    raise DatasetError(f"{where}: column {column!r}: the size must be an int, got {_short(value)}")


def _jsonl_records(path: Path):
    """("FILE: line N", record) per non-blank line."""
    try:
        lines = path.read_text(encoding="utf-8-sig").splitlines()  # a byte order mark (Windows editors) is skipped
    except UnicodeDecodeError as err:
        raise DatasetError(f"{path}: not UTF-8 text ({err})") from None
    for n, line in enumerate(lines, 1):
        if not line.strip():
            continue
        if len(line) > _MAX_LINE_CHARS:
            raise DatasetError(f"{path}: line {n}: {len(line):,} characters, more than a row may have ({_MAX_LINE_CHARS:,}; "
                               f"a prompt or an answer may have {MAX_TEXT_CHARS:,})")
        try:
            rec = json.loads(line)
        except json.JSONDecodeError as err:
            raise DatasetError(f"{path}: line {n}: not valid JSON ({err.msg} at column {err.colno})") from None
        except RecursionError:
            raise DatasetError(f"{path}: line {n}: nested too deeply to be a row of columns") from None
        if not isinstance(rec, dict):
            raise DatasetError(f"{path}: line {n}: expected a JSON object of columns, got {type(rec).__name__}")
        yield f"{path}: line {n}", rec


def _csv_records(path: Path, spec: DatasetSpec):
    """("FILE: line N", record) per data row; the header (line 1) must hold the spec's columns and
    every row as many fields as the header. A byte order mark (spreadsheet programs write one) is
    skipped; a field longer than MAX_TEXT_CHARS is refused."""
    limit = csv.field_size_limit()
    csv.field_size_limit(MAX_TEXT_CHARS)
    try:
        with open(path, newline="", encoding="utf-8-sig") as f:
            reader = csv.reader(f)
            try:
                header = next(reader, [])
                for column in (spec.prompt_column, spec.answer_column, spec.size_column):
                    if column and column not in header:
                        raise DatasetError(f"{path}: line 1 (header): missing column {column!r} (columns: {header})")
                for fields in reader:
                    if not fields:  # a blank line
                        continue
                    if len(fields) != len(header):
                        raise DatasetError(f"{path}: line {reader.line_num}: {len(fields)} fields, the header has {len(header)} "
                                           f"({', '.join(header)}); quote a field that holds commas, e.g. \"1, 2, 3\"")
                    yield f"{path}: line {reader.line_num}", dict(zip(header, fields))
            except csv.Error as err:
                if "field larger than field limit" in str(err):
                    raise DatasetError(f"{path}: line {reader.line_num}: a field longer than the {MAX_TEXT_CHARS:,} characters "
                                       "a prompt or an answer may have") from None
                raise DatasetError(f"{path}: line {reader.line_num}: not valid CSV ({err})") from None
            except UnicodeDecodeError as err:
                raise DatasetError(f"{path}: not UTF-8 text ({err})") from None
    finally:
        csv.field_size_limit(limit)


def _load_saved(path: Path):
    try:
        return datasets.load_from_disk(str(path))
    except (FileNotFoundError, ValueError, OSError) as err:
        raise DatasetError(f"{path}: not a dataset saved with save_to_disk ({err})") from None
    except IndexError:  # datasets 5 saves a split without rows as zero shards and cannot read it back
        empty = empty_saved_splits(path)
        which = f"split {empty[0]!r}" if empty and empty[0] else "the dataset" if empty else "a split"
        raise DatasetError(f"{path}: {which} is empty (saved with no rows); save it with at least one row") from None


def empty_saved_splits(path: Path) -> list[str]:
    """The splits of a dataset saved at `path` with save_to_disk that hold no rows (no data file;
    datasets cannot read such a split back); [""] for an empty saved Dataset, [] when none is empty
    or `path` is not a saved dataset."""
    path = Path(path)
    try:
        splits = json.loads((path / "dataset_dict.json").read_text())["splits"] if (path / "dataset_dict.json").is_file() else [""]
        return [s for s in splits if not json.loads((path / s / "state.json").read_text())["_data_files"]]
    except (OSError, ValueError, KeyError, TypeError):
        return []


def _saved_rows(path: Path, split: str, ds: datasets.Dataset, spec: DatasetSpec) -> list[dict]:
    """The rows of a saved split (only the spec's columns), after checking the columns exist."""
    columns = [c for c in (spec.prompt_column, spec.answer_column, spec.size_column) if c]
    where = f"{path}" + (f": split {split!r}" if split else "")
    for column in columns:
        if column not in ds.column_names:
            raise DatasetError(f"{where}: missing column {column!r} (columns: {ds.column_names})")
    return ds.select_columns(columns).to_list()


def _from_splits(path: Path, source: datasets.DatasetDict, spec: DatasetSpec) -> datasets.DatasetDict:
    tests = list(spec.test_splits) or [s for s in source if s != spec.train_split]
    missing = [s for s in [spec.train_split, *tests] if s not in source]
    if missing:
        raise DatasetError(f"{path}: no split(s) {missing} (splits: {list(source)})")
    if not tests or "train" in tests:
        raise DatasetError(f"{path}: test splits {tests} (from splits {list(source)}, train_split {spec.train_split!r}) "
                           "must be non-empty and must not include 'train'; name them with test_splits")
    out, train_prompts = {}, set()
    for name, split in [("train", spec.train_split)] + [(t, t) for t in tests]:
        recs = _saved_rows(path, split, source[split], spec)
        if not recs:
            raise DatasetError(f"{path}: split {split!r} is empty")
        rows = [_row(f"{path}: split {split!r} row {i}", r, spec) for i, r in enumerate(recs, 1)]
        if name == "train":
            train_prompts = {r["prompt"] for r in rows}
        else:
            held_out = [r for r in rows if r["prompt"] not in train_prompts]
            if not held_out:
                raise DatasetError(f"{path}: every row of split {split!r} has a prompt of split {spec.train_split!r}; "
                                   "a test split needs rows the model was not trained on")
            if len(held_out) < len(rows):
                warnings.warn(f"{path}: {len(rows) - len(held_out)} of the {len(rows)} rows of split {split!r} have a prompt "
                              f"of split {spec.train_split!r}; they are left out of {split!r}", stacklevel=3)
            rows = held_out
        out[name] = _dataset(rows, spec.task, name)
    return datasets.DatasetDict(out)
