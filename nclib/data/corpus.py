"""Ordinary English text containing numbers, available offline, for no-call training.

The routine-calling model must learn when *not* to call a routine, so training mixes in
ordinary prose that happens to contain numbers ("Changed in version 3.6: ...", "returns a
list of 2-tuples", "The default is 78, as recommended by RFC 2822.") and evaluation holds out
a no-call split. This module is the one place that says where that text comes from.

Source: the CPython standard library of the running interpreter, found with
``sysconfig.get_paths()["stdlib"]`` (nothing downloaded, imported or executed;
``site-packages``/``dist-packages`` excluded):

* every ``.py`` file, parsed with `ast`: the docstrings of its module, classes and functions,
  and its full-line ``#`` comment blocks (written by CPython developers, rich in version,
  issue and RFC numbers); one source per file, named by its path relative to the stdlib root
  (``"json/decoder.py"``);
* the language-reference topics of ``pydoc_data/topics.py`` (the text ``help("for")`` shows),
  read with `ast.literal_eval`; one source per topic (``"pydoc_data/topics.py#for"``);
* the prose text files in `TEXT_FILES` (IDLE's change logs and notes); the news files give one
  source per release section.

Filtering (`passages_of_text`): a text is split into paragraphs at blank lines (bullet items
and field-list entries start paragraphs of their own). A paragraph is dropped if it contains a
doctest line (``>>>``, ``...``), a reST directive (``.. note::``), a line that is mostly
punctuation (heading underlines, table borders) or a code-like line (assignments, ``def``,
``import``, braces, backslashes, comparison operators), if its lines are indented unevenly
(definition lists, argument tables), or if it is indented after a paragraph ending in ``:``
(a literal block or example). A kept paragraph is joined into one line, reST markup is reduced
to its text (``:func:`~os.path.join``` -> ``join``, ````x```` -> ``x``, ``*word*`` -> ``word``,
``a::`` -> ``a:``, footnote marks dropped, typographic quotes made ASCII), and a paragraph
longer than `MAX_CHARS` is cut at sentence ends into pieces of at most `MAX_CHARS`. A piece is
a passage if it is `MIN_CHARS`..`MAX_CHARS` characters long, starts with a capital letter, a
digit, a quote, a bracket or an issue number (``gh-12345``), ends with punctuation, a letter or
a digit, has at least 8 words of which at least 3/4 are plain words or numbers, is at least
85% letters, digits and spaces, and contains no ``=``, ``<``, ``>``, braces, backslashes,
``self.``, ``->``, URLs, e-mail addresses or copyright lines. With ``with_numbers=True`` (the
default) a passage must also contain a digit.

Splits: ``"train"`` and ``"test"`` are disjoint by source: a source is in ``test`` when the
SHA-256 of its name falls in the first `TEST_FRACTION` of the hash range, so held-out passages
come from files, topics and sections never seen in training. Passages are de-duplicated within
a split, and a text that also occurs in a train source is dropped from ``test``. The result is
a pure function of the stdlib files and ``seed``: the order is drawn from
``random.Random(f"{seed}:{split}")`` (string seeds are hashed with SHA-512, stable across
processes, unlike ``hash()``). CPython patch releases and distributions ship slightly
different files (Debian, for one, packages the ``test`` package separately), so the exact
passages and counts can differ between machines; `ordinary_passages` raises a clear error when
fewer are available than asked for.

Extraction parses about 1,900 files (15-25 s of CPU), so its result (every passage of every
source, with or without numbers) is cached as JSON in `cache_dir`, under a key that hashes this
module's source, the interpreter version and the size and mtime of every file read; any change
to the filters or the stdlib therefore makes a fresh extraction.
"""

from __future__ import annotations

import ast
import functools
import hashlib
import io
import json
import os
import random
import re
import sys
import sysconfig
import tempfile
import tokenize
import warnings
from typing import NamedTuple

__all__ = [
    "MAX_CHARS",
    "MIN_CHARS",
    "SPLITS",
    "TEST_FRACTION",
    "TEXT_FILES",
    "Passage",
    "cache_dir",
    "ordinary_passages",
    "passage_records",
    "passages_of_text",
    "source_split",
    "stdlib_dir",
]

SPLITS = ("train", "test")
TEST_FRACTION = 0.25
MIN_CHARS = 60
MAX_CHARS = 400

TOPICS_FILE = "pydoc_data/topics.py"
# the prose text files of the stdlib (IDLE's change logs and notes, the email package's design)
TEXT_FILES = (
    "email/architecture.rst",
    "idlelib/CREDITS.txt",
    "idlelib/HISTORY.txt",
    "idlelib/NEWS.txt",
    "idlelib/NEWS2x.txt",
    "idlelib/README.txt",
    "idlelib/TODO.txt",
    "idlelib/idle_test/README.txt",
)
_EXCLUDED_DIRS = {"site-packages", "dist-packages", "__pycache__"}


class Passage(NamedTuple):
    source: str  # a file relative to the stdlib root, or "<file>#<topic or section>"
    text: str


def stdlib_dir() -> str:
    """The directory of the running interpreter's pure-Python standard library."""
    return sysconfig.get_paths()["stdlib"]


def source_split(source: str) -> str:
    """``"test"`` or ``"train"``: a stable function of the source name alone."""
    digest = hashlib.sha256(f"nclib.corpus:{source}".encode()).digest()
    return "test" if int.from_bytes(digest[:8], "big") < TEST_FRACTION * 2**64 else "train"


# ---------------------------------------------------------------------------------------------
# reST markup -> text

_ROLE = re.compile(r":[A-Za-z][\w.+-]*(?::[A-Za-z][\w.+-]*)*:`([^`]+)`")
_LITERAL = re.compile(r"``([^`]+)``")
_INTERPRETED = re.compile(r"(?<![\w`])`([^`]+)`_{0,2}(?![\w`])")
_STRONG = re.compile(r"\*\*([^*\s](?:[^*]*[^*\s])?)\*\*")
_EMPHASIS = re.compile(r"(?<![\w*])\*([^*\s](?:[^*]*[^*\s])?)\*(?![\w*])")
_FOOTNOTE = re.compile(r"\s*\[(?:\d+|#\w*|\*)\]_|\s\[\d+\](?=[\s.,;:]|$)")
_TYPOGRAPHIC = str.maketrans({"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"'})
_SUBSTITUTION = re.compile(r"\|([\w ]+)\|")
_SPACES = re.compile(r"\s+")


def _role_text(match: re.Match) -> str:
    text = match.group(1)
    explicit = re.fullmatch(r"(.*?)\s*<[^<>]*>", text, re.S)
    if explicit and explicit.group(1):
        return explicit.group(1)
    text = text.lstrip("!")
    if text.startswith("~"):
        text = text[1:].rsplit(".", 1)[-1]
    return text


def _interpreted_text(match: re.Match) -> str:
    text = match.group(1)
    explicit = re.fullmatch(r"(.*?)\s*<[^<>]*>", text, re.S)
    return explicit.group(1) if explicit and explicit.group(1) else text


def _strip_markup(text: str) -> str:
    text = _ROLE.sub(_role_text, text)
    text = _LITERAL.sub(r"\1", text)
    text = _INTERPRETED.sub(_interpreted_text, text)
    text = _STRONG.sub(r"\1", text)
    text = _EMPHASIS.sub(r"\1", text)
    text = _FOOTNOTE.sub("", text)
    text = _SUBSTITUTION.sub(r"\1", text)
    text = _SPACES.sub(" ", text.translate(_TYPOGRAPHIC)).strip()
    if text.endswith("::"):
        text = text[:-1]
    return text.replace(" ::", ":").replace(":: ", ": ")


# ---------------------------------------------------------------------------------------------
# paragraphs -> passages

_BULLET = re.compile(r"^(?:[-*+\u2022]|\d+[.)]|\(\d+\)|[a-z][.)]|#\.)\s+")
_FIELD = re.compile(r"^:[^:\s][^:]*:(\s|$)")
_DIRECTIVE = re.compile(r"^\.\.(\s|$)")
_CODE_LINE = re.compile(
    r"(^\s*(>>>|\.\.\.(\s|$)|\$ |%\s|#|@\w|def |class \w+[(:]|import \w|from \S+ import |"
    r"try:|except\b.*:$|print\(|[\w.\[\]]+\s*[-+*/]?=\s)|[{}\\]|->|==|!=|<=|>=)"
)
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[\"'(\u201c\u2018]?[A-Z0-9])")
_NOT_PROSE = re.compile(
    r"=|[{}\\<>|~^$]|self\.|->|\bcopyright\b|\(c\)|\u00a9|https?:|www\.|ftp:|@\w|\w@|"
    r"\be\.g\.$|\bi\.e\.$|\bcf\.$|\bvs\.$|\betc\.\)",
    re.I,
)
# a word or number, possibly hyphenated or dotted ("64-bit", "UTF-8", "3.11", "bpo-30649"), in
# quotes, brackets or followed by punctuation
_WORD = re.compile(r"^[\"'(#]*[A-Za-z0-9]+(?:[-'./][A-Za-z0-9]+)*[\"'),.;:!?]*$")
_START = re.compile(r"^(?:[A-Z0-9\"'(]|(?:gh|bpo)-\d|issue ?#?\d)")
_DIGIT = re.compile(r"\d")
_ABBREVIATION = re.compile(r"\b(?:e\.g|i\.e|etc|cf|vs|approx|Mr|Dr|No|Fig|Sec|St)\.$", re.I)


def _mostly_punctuation(line: str) -> bool:
    chars = [c for c in line if not c.isspace()]
    return bool(chars) and sum(not c.isalnum() for c in chars) * 2 >= len(chars)


def _paragraphs(text: str) -> list[list[str]]:
    """Blank-line separated blocks of lines; a bullet item or field entry starts a new block."""
    blocks: list[list[str]] = []
    current: list[str] = []
    for line in text.expandtabs(8).splitlines():
        if not line.strip():
            if current:
                blocks.append(current)
            current = []
            continue
        if current and not line.startswith(" ") and (
            _BULLET.match(line) or _FIELD.match(line)
        ):
            blocks.append(current)
            current = []
        current.append(line.rstrip())
    if current:
        blocks.append(current)
    return blocks


def _paragraph_text(lines: list[str], after_colon: bool = False) -> str | None:
    """The paragraph as one line of prose, or None when it is not prose. An indented paragraph
    is kept only when its indentation is uniform and the paragraph before it does not end with
    a colon (help topics indent the prose under a heading; examples follow ``:`` or ``::``)."""
    if lines[0].startswith(" "):
        if after_colon or len({len(l) - len(l.lstrip(" ")) for l in lines}) > 1:
            return None  # literal block, block quote, grammar, argument description
        lines = [l.strip() for l in lines]
    first = _BULLET.sub("", lines[0], count=1)
    if _FIELD.match(first):
        return None
    lines = [first] + lines[1:]
    for line in lines:
        if _DIRECTIVE.match(line) or _mostly_punctuation(line) or _CODE_LINE.search(line):
            return None
    body = lines[1:]
    if body and len({len(l) - len(l.lstrip(" ")) for l in body}) > 1:
        return None  # a definition list or a ragged table, not a flowing paragraph
    return _strip_markup(" ".join(l.strip() for l in lines))


def _pieces(paragraph: str) -> list[str]:
    """The paragraph, or for a long one sentence-aligned pieces of at most MAX_CHARS."""
    if len(paragraph) <= MAX_CHARS:
        return [paragraph]
    sentences: list[str] = []
    for part in _SENTENCE_END.split(paragraph):
        if sentences and _ABBREVIATION.search(sentences[-1]):
            sentences[-1] += " " + part  # "e.g. Foo" is not a sentence end
        else:
            sentences.append(part)
    pieces: list[str] = []
    current = ""
    for sentence in sentences:
        joined = f"{current} {sentence}" if current else sentence
        if len(joined) <= MAX_CHARS:
            current = joined
            continue
        if current:
            pieces.append(current)
        current = sentence  # a sentence longer than MAX_CHARS is dropped by the length check
    if current:
        pieces.append(current)
    return pieces


def _is_prose(text: str) -> bool:
    if not MIN_CHARS <= len(text) <= MAX_CHARS:
        return False
    if not _START.match(text):
        return False
    if not (text[-1] in ".!?:)\"'" or text[-1].isalnum()) or _NOT_PROSE.search(text):
        return False
    if not text.isascii() and sum(not c.isascii() for c in text) > 3:
        return False
    letters = sum(c.isalnum() or c.isspace() for c in text)
    if letters < 0.85 * len(text):
        return False
    words = text.split()
    plain = sum(bool(_WORD.match(w)) for w in words)
    return len(words) >= 8 and plain >= 0.75 * len(words)


def passages_of_text(text: str, with_numbers: bool = True) -> list[str]:
    """The prose passages of one docstring or help topic (see the module docstring)."""
    out = []
    after_colon = False
    for lines in _paragraphs(text):
        paragraph = _paragraph_text(lines, after_colon)
        after_colon = lines[-1].rstrip().endswith(":")
        if not paragraph:
            continue
        for piece in _pieces(paragraph):
            if _is_prose(piece) and (not with_numbers or _DIGIT.search(piece)):
                out.append(piece)
    return out


# ---------------------------------------------------------------------------------------------
# documents

def _read_python(path: str) -> tuple[ast.Module, str] | None:
    try:
        with open(path, "rb") as f:
            data = f.read()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # invalid escape sequences in old test files
            tree = ast.parse(data, filename=path)
        return tree, data.decode(tokenize.detect_encoding(io.BytesIO(data).readline)[0])
    except (SyntaxError, ValueError, UnicodeError, LookupError, RecursionError, MemoryError, OSError):
        return None  # the stdlib test data holds deliberately broken files


def _comment_blocks(source: str, skip: set[int]) -> list[str]:
    """Runs of full-line ``#`` comments at one column, as text (a bare ``#`` line is a
    paragraph break). Lines in `skip` (those of docstrings) are not comments."""
    blocks: list[str] = []
    current: list[str] = []
    column = -1
    for number, line in enumerate(source.splitlines(), 1):
        stripped = line.lstrip()
        is_comment = stripped.startswith("#") and not stripped.startswith("#!") and number not in skip
        here = len(line) - len(stripped)
        if current and (not is_comment or here != column):
            blocks.append("\n".join(current))
            current = []
        if is_comment:
            column = here
            body = stripped[1:]
            current.append(body[1:] if body.startswith(" ") else body)
    if current:
        blocks.append("\n".join(current))
    return blocks


def _python_texts(path: str) -> list[str]:
    """The docstrings, then the comment blocks, of one Python file."""
    read = _read_python(path)
    if read is None:
        return []
    tree, source = read
    texts: list[str] = []
    docstring_lines: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            doc = ast.get_docstring(node, clean=True)
            if doc:
                texts.append(doc)
                first = node.body[0]
                docstring_lines.update(range(first.lineno, (first.end_lineno or first.lineno) + 1))
    return texts + _comment_blocks(source, docstring_lines)


def _topics(path: str) -> dict[str, str]:
    """The ``topics`` dict literal of pydoc_data/topics.py, read without importing it."""
    read = _read_python(path)
    for node in read[0].body if read else []:
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == "topics" for t in node.targets
        ):
            value = ast.literal_eval(node.value)
            return {k: v for k, v in value.items() if isinstance(k, str) and isinstance(v, str)}
    return {}


def _text_file_sections(path: str) -> list[tuple[str, str]]:
    """(section heading, text) of a plain-text file; the IDLE news files are cut at each
    "What's New in ..." release heading, other files are one section."""
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            text = f.read()
    except OSError:
        return []
    sections = re.split(r"\n(?=What's New in )", text)
    if len(sections) == 1:
        return [("", text)]
    return [(section.split("\n", 1)[0].strip(), section) for section in sections]


def _files(root: str) -> list[tuple[str, str]]:
    """(source-relative path, absolute path) of every file the corpus reads, sorted."""
    files = []
    for directory, subdirs, names in os.walk(root):
        subdirs[:] = [d for d in subdirs if d not in _EXCLUDED_DIRS]
        for name in names:
            path = os.path.join(directory, name)
            relative = os.path.relpath(path, root).replace(os.sep, "/")
            if name.endswith(".py") or relative in TEXT_FILES:
                files.append((relative, path))
    return sorted(files)


def _documents(root: str) -> list[tuple[str, list[str]]]:
    """(source, texts) for every source under the stdlib root, sorted by source."""
    documents = []
    for relative, path in _files(root):
        if relative == TOPICS_FILE:
            documents += [(f"{relative}#{key}", [text]) for key, text in _topics(path).items()]
        elif relative in TEXT_FILES:
            documents += [
                (f"{relative}#{heading}" if heading else relative, [text])
                for heading, text in _text_file_sections(path)
            ]
        else:
            documents.append((relative, _python_texts(path)))
    return sorted(documents)


# ---------------------------------------------------------------------------------------------
# extraction, with a cache on disk

def cache_dir() -> str | None:
    """Where extracted passages are cached: ``$NCLIB_CACHE_DIR``, else
    ``$XDG_CACHE_HOME/nclib``, else ``~/.cache/nclib``; None when ``NCLIB_CACHE_DIR`` is set to
    the empty string (no cache)."""
    configured = os.environ.get("NCLIB_CACHE_DIR")
    if configured is not None:
        return configured or None
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "nclib")


def _cache_key(root: str) -> str:
    """Changes whenever this module, the interpreter or any file the corpus reads changes."""
    digest = hashlib.sha256()
    with open(__file__, "rb") as f:
        digest.update(f.read())
    digest.update(f"{sys.version}\0{root}\0".encode())
    for relative, path in _files(root):
        stat = os.stat(path)
        digest.update(f"{relative}\0{stat.st_size}\0{stat.st_mtime_ns}\0".encode())
    return digest.hexdigest()[:24]


def _extract(root: str) -> list[tuple[str, list[str]]]:
    """(source, all its passages with or without numbers) for every source, sorted."""
    out = []
    for source, texts in _documents(root):
        passages = [p for text in texts for p in passages_of_text(text, with_numbers=False)]
        if passages:
            out.append((source, passages))
    return out


@functools.lru_cache(maxsize=None)
def _source_passages(root: str, directory: str | None) -> tuple[tuple[str, tuple[str, ...]], ...]:
    path = os.path.join(directory, f"corpus-{_cache_key(root)}.json") if directory else None
    if path:
        try:
            with open(path, encoding="utf-8") as f:
                return tuple((source, tuple(passages)) for source, passages in json.load(f))
        except (OSError, ValueError, TypeError):
            pass  # no cache yet, or an unreadable one: extract again
    extracted = _extract(root)
    if path:
        tmp = None
        try:  # write-then-rename, so that concurrent readers never see half a file
            os.makedirs(directory, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=directory, prefix=".corpus-", suffix=".tmp")
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                json.dump(extracted, f)
            os.replace(tmp, path)
        except OSError:  # a read-only home only costs the next process the extraction
            if tmp is not None and os.path.exists(tmp):
                os.unlink(tmp)
    return tuple((source, tuple(passages)) for source, passages in extracted)


@functools.lru_cache(maxsize=None)
def _all_records(root: str, directory: str | None, with_numbers: bool) -> dict[str, tuple[Passage, ...]]:
    by_split: dict[str, list[Passage]] = {split: [] for split in SPLITS}
    seen: dict[str, set[str]] = {split: set() for split in SPLITS}
    for source, passages in _source_passages(root, directory):
        split = source_split(source)
        for passage in passages:
            if with_numbers and not _DIGIT.search(passage):
                continue
            if passage not in seen[split]:
                seen[split].add(passage)
                by_split[split].append(Passage(source, passage))
    # a text that also occurs in a training source is not held out
    by_split["test"] = [p for p in by_split["test"] if p.text not in seen["train"]]
    return {split: tuple(records) for split, records in by_split.items()}


def _check_split(split: str) -> None:
    if split not in SPLITS:
        raise ValueError(f"unknown split {split!r}: expected one of {', '.join(SPLITS)}")


def passage_records(split: str, with_numbers: bool = True) -> list[Passage]:
    """Every passage of `split` with its source, in source order (no sampling)."""
    _check_split(split)
    return list(_all_records(stdlib_dir(), cache_dir(), with_numbers)[split])


def ordinary_passages(
    split: str, n: int | None = None, seed: int = 0, with_numbers: bool = True
) -> list[str]:
    """`n` passages of ordinary English prose from `split` (all of them when `n` is None),
    in an order drawn from `seed`; with `with_numbers` every passage contains a digit.

    Raises ValueError for an unknown split or when fewer than `n` passages are available."""
    _check_split(split)
    records = passage_records(split, with_numbers)
    if n is not None and not 0 <= n <= len(records):
        raise ValueError(
            f"asked for {n} {split!r} passages (with_numbers={with_numbers}) but only "
            f"{len(records)} are available from the Python standard library at {stdlib_dir()}"
        )
    texts = [r.text for r in records]
    random.Random(f"{seed}:{split}").shuffle(texts)
    return texts if n is None else texts[:n]
