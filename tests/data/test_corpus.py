"""nclib.data.corpus: ordinary stdlib prose with numbers, split by source, deterministic."""

import json
import os
import re
import subprocess
import sys

import pytest

from nclib import corpus
from nclib.data.corpus import ordinary_passages, passage_records, passages_of_text, source_split

CODE = re.compile(r">>>|^\s*(def|class|import|from|return|raise)\s|\bself\.|[{}\\]|==|!=|->|\s=\s")


def test_enough_held_out_passages_with_numbers():
    train, test = passage_records("train"), passage_records("test")
    assert len(test) >= 500
    assert len(train) >= 2000
    assert len(ordinary_passages("test", 500)) == 500


def test_every_passage_has_a_digit_and_prose_length():
    for split in corpus.SPLITS:
        for record in passage_records(split):
            assert re.search(r"\d", record.text), record
            assert corpus.MIN_CHARS <= len(record.text) <= corpus.MAX_CHARS, record


def test_without_the_number_requirement_is_a_superset():
    for split in corpus.SPLITS:
        with_numbers = {r.text for r in passage_records(split)}
        everything = set(ordinary_passages(split, with_numbers=False))
        assert with_numbers < everything
        assert any(not re.search(r"\d", text) for text in everything)


def test_no_doctest_code_or_markup_lines():
    for split in corpus.SPLITS:
        for text in ordinary_passages(split, with_numbers=False):
            assert not CODE.search(text), text
            assert "\n" not in text and "  " not in text, text
            assert not re.search(r":\w+:`|``[^`']+``", text), text  # reST roles and literals stripped


def test_train_and_test_are_disjoint_by_source():
    train, test = passage_records("train"), passage_records("test")
    train_sources, test_sources = {r.source for r in train}, {r.source for r in test}
    assert train_sources and test_sources and not train_sources & test_sources
    assert all(source_split(s) == "train" for s in train_sources)
    assert all(source_split(s) == "test" for s in test_sources)
    assert not {r.text for r in train} & {r.text for r in test}
    for split in corpus.SPLITS:
        texts = ordinary_passages(split, with_numbers=False)
        assert len(texts) == len(set(texts))
    # the sources are files, help topics and news sections of the stdlib
    assert any(s.startswith(corpus.TOPICS_FILE + "#") for s in train_sources | test_sources)
    assert all(s.split("#")[0].endswith((".py", ".txt", ".rst")) for s in train_sources | test_sources)


def test_deterministic_for_a_seed():
    first = ordinary_passages("test", 50, seed=3)
    assert first == ordinary_passages("test", 50, seed=3)
    assert first == ordinary_passages("test", None, seed=3)[:50]
    assert first != ordinary_passages("test", 50, seed=4)
    assert sorted(ordinary_passages("test", seed=3)) == sorted(ordinary_passages("test", seed=4))


def test_deterministic_across_processes():
    """A fresh interpreter with another hash seed draws the same passages (corpus.py has no
    nclib imports, so it is loaded by path, without the package and its torch import)."""
    code = (
        "import importlib.util, json, sys\n"
        "spec = importlib.util.spec_from_file_location('corpus_copy', sys.argv[1])\n"
        "module = importlib.util.module_from_spec(spec)\n"
        "spec.loader.exec_module(module)\n"
        "print(json.dumps(module.ordinary_passages('train', 30, seed=11)))\n"
    )
    env = dict(os.environ, PYTHONHASHSEED="12345")
    out = subprocess.run(
        [sys.executable, "-c", code, corpus.__file__], env=env, capture_output=True, text=True,
        check=True, timeout=600,
    )
    assert json.loads(out.stdout) == ordinary_passages("train", 30, seed=11)


def test_clear_errors():
    with pytest.raises(ValueError, match="unknown split 'validation'"):
        ordinary_passages("validation", 10)
    with pytest.raises(ValueError, match="unknown split"):
        passage_records("Test")
    available = len(passage_records("test"))
    with pytest.raises(ValueError, match=rf"asked for {available + 1} 'test' passages .* only {available}"):
        ordinary_passages("test", available + 1)
    with pytest.raises(ValueError, match="asked for -1"):
        ordinary_passages("train", -1)
    assert ordinary_passages("test", 0) == []


def test_filtering_of_a_docstring():
    doc = """Return the :func:`~os.path.join` of *parts*, at most 255 characters long (see :pep:`8`).

Example::

    join("a", "b") == "a/b"  # 2 parts

>>> join("a", "b")
'a/b'

Parameters
----------
parts : list
    The 3 parts.

.. versionchanged:: 3.11
   Accepts 2 or more parts.

- A bullet item of a list, which talks about version 3.12 of the library.
- short one 4

""" + " ".join(f"This is sentence number {i} of a long paragraph that goes on." for i in range(12))
    passages = passages_of_text(doc)
    assert passages[0] == "Return the join of parts, at most 255 characters long (see 8)."
    assert passages[1] == "A bullet item of a list, which talks about version 3.12 of the library."
    long_pieces = passages[2:]
    assert len(long_pieces) >= 2 and all(len(p) <= corpus.MAX_CHARS for p in long_pieces)
    assert " ".join(long_pieces).startswith("This is sentence number 0 of")
    assert all(p.endswith("goes on.") for p in long_pieces)
    assert not any(">>>" in p or "join(" in p or "parts :" in p for p in passages)
    assert passages_of_text("A plain sentence without any digits, long enough to be kept here.") == []
    assert passages_of_text(
        "A plain sentence without any digits, long enough to be kept here.", with_numbers=False
    ) == ["A plain sentence without any digits, long enough to be kept here."]


def test_source_split_is_stable():
    # the SHA-256 of the name: fixed for ever, whatever the process, platform or Python
    expected = {"json/decoder.py": "train", "os.py": "train", "pydoc_data/topics.py#for": "train",
                "base64.py": "test", "socket.py": "test", "functools.py": "test"}
    assert {name: source_split(name) for name in expected} == expected
    shares = [source_split(f"file{i}.py") == "test" for i in range(2000)]
    assert 0.2 < sum(shares) / len(shares) < 0.3


def test_cache_is_written_once_and_read_back(tmp_path, monkeypatch):
    calls = []
    fake = [("a.py", ["Passage one has 1 digit in it, and it is long enough to be prose."])]

    def extract(root):
        calls.append(root)
        return fake

    monkeypatch.setattr(corpus, "_extract", extract)
    directory = str(tmp_path / "cache")
    first = corpus._source_passages(corpus.stdlib_dir(), directory)
    files = os.listdir(directory)
    assert len(files) == 1 and files[0].startswith("corpus-") and files[0].endswith(".json")
    corpus._source_passages.cache_clear()  # a new process: only the file remains
    second = corpus._source_passages(corpus.stdlib_dir(), directory)
    corpus._source_passages.cache_clear()
    assert len(calls) == 1
    assert first == second == (("a.py", tuple(fake[0][1])),)
