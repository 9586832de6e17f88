"""Every save is all or nothing: after a failure at any point (an error between the two files, a
full disk, a failed swap) the previous version loads unchanged; a reader racing two writers only
ever sees a complete old or new library; leftovers of a crashed save are never read; saving onto
a file raises instead of saving nothing."""

from __future__ import annotations

import errno
import multiprocessing
import os
import pathlib
import time
from pathlib import Path

import pytest
import torch

import nclib
from nclib import atomic
from nclib.util.atomic import SaveError, atomic_directory, atomic_write_bytes, read_files, recover
from nclib.errors import LibraryError

pytestmark = pytest.mark.usefixtures("one_thread")

SOURCE = "def inc(x):\n    return x + 1\n"


def library(scale: float) -> nclib.Library:
    """A one-routine library whose float tensors are scaled by `scale` (two versions of one library)."""
    prog = nclib.compile(SOURCE, entry="inc", values=(0, 16), memory=4)
    prog.tensors = {k: v * scale for k, v in prog.tensors.items()}
    return nclib.Library([prog])


def same(a: nclib.Library, b: nclib.Library) -> bool:
    sa, sb = a.state_dict(), b.state_dict()
    return a.names == b.names and sa.keys() == sb.keys() and all(torch.equal(sa[k], sb[k]) for k in sa)


def leftovers(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.parent.iterdir() if p.name.startswith(f".{directory.name}."))


@pytest.fixture(scope="module")
def old_new():
    return library(1.0), library(0.5)


def fail_on(name: str, partial: bool):
    """A Path.write_bytes / write_text that fails for the file `name`, after writing half of it
    when `partial` (a disk that fills up mid-write)."""
    real = {"bytes": pathlib.Path.write_bytes, "text": pathlib.Path.write_text}

    def make(kind):
        def write(self, data, *args, **kwargs):
            if self.name != name:
                return real[kind](self, data, *args, **kwargs)
            if partial:
                real[kind](self, data[: len(data) // 2], *args, **kwargs)
                raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(self))
            raise RuntimeError(f"injected failure writing {self}")
        return write

    return make("bytes"), make("text")


@pytest.mark.parametrize("name, partial", [
    ("manifest.json", False), ("manifest.json", True), ("library.safetensors", True),
], ids=["error-between-the-writes", "disk-full-in-manifest", "disk-full-in-tensors"])
def test_a_failed_library_save_keeps_the_old_library(tmp_path, monkeypatch, old_new, name, partial):
    old, new = old_new
    d = tmp_path / "lib"
    old.save(d, overwrite=True)
    before = {p.name: p.read_bytes() for p in d.iterdir()}
    write_bytes, write_text = fail_on(name, partial)
    monkeypatch.setattr(pathlib.Path, "write_bytes", write_bytes)
    monkeypatch.setattr(pathlib.Path, "write_text", write_text)
    with pytest.raises(OSError if partial else RuntimeError):
        new.save(d, overwrite=True)
    monkeypatch.undo()
    assert {p.name: p.read_bytes() for p in d.iterdir()} == before  # byte for byte the old library
    assert same(nclib.Library.load(d), old)
    assert leftovers(d) == []  # the half-written version is gone
    new.save(d, overwrite=True)  # and the next save works
    assert same(nclib.Library.load(d), new)


@pytest.mark.parametrize("point", ["fsync", "swap"])
def test_a_failure_while_committing_keeps_old_or_new(tmp_path, monkeypatch, old_new, point):
    """ENOSPC from fsync (where a full disk often shows) and a failing swap leave the old library."""
    old, new = old_new
    d = tmp_path / "lib"
    old.save(d, overwrite=True)

    def enospc(*args, **kwargs):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(atomic, "_fsync_tree" if point == "fsync" else "_exchange", enospc)
    with pytest.raises(OSError):
        new.save(d, overwrite=True)
    monkeypatch.undo()
    assert same(nclib.Library.load(d), old)


def test_files_of_two_saves_are_refused_not_mixed(tmp_path, old_new):
    """The two versions compile to the same program and differ only in their float tensors: before
    the manifest carried the fingerprint, the manifest of one with the tensors of the other loaded
    as a silent mix."""
    old, new = old_new
    old.save(tmp_path / "old")
    new.save(tmp_path / "new")
    assert old.manifest() == new.manifest() and old.fingerprint() != new.fingerprint()
    (tmp_path / "old" / "library.safetensors").write_bytes((tmp_path / "new" / "library.safetensors").read_bytes())
    with pytest.raises(LibraryError, match="do not match the manifest's fingerprint"):
        nclib.Library.load(tmp_path / "old")


def _write_forever(directory: str, lib: nclib.Library, until: float) -> None:
    while time.time() < until:
        lib.save(directory, overwrite=True)


def test_a_reader_racing_two_writers_sees_only_complete_libraries(tmp_path, old_new):
    old, new = old_new
    d = tmp_path / "lib"
    old.save(d, overwrite=True)
    until = time.time() + 2.0
    ctx = multiprocessing.get_context("fork")
    writers = [ctx.Process(target=_write_forever, args=(str(d), lib, until)) for lib in (old, new)]
    for w in writers:
        w.start()
    seen = {"old": 0, "new": 0}
    while time.time() < until:
        got = nclib.Library.load(d)  # raises on a corrupt manifest, a missing file or mixed files
        if same(got, old):
            seen["old"] += 1
        else:
            assert same(got, new), "a mix of the two libraries"
            seen["new"] += 1
    for w in writers:
        w.join(timeout=30)
        assert w.exitcode == 0
    assert seen["old"] + seen["new"] > 20, seen
    assert leftovers(d) == []


def test_the_rename_fallback_and_a_crash_inside_it(tmp_path, monkeypatch, old_new):
    """Without RENAME_EXCHANGE the old directory is renamed aside and the new one in; a crash
    between the two leaves the path missing, and `recover` (every next save calls it) restores the old."""
    old, new = old_new
    d = tmp_path / "lib"
    old.save(d, overwrite=True)

    def no_exchange(a, b):
        raise OSError(errno.EINVAL, "RENAME_EXCHANGE not supported")

    monkeypatch.setattr(atomic, "_exchange", no_exchange)
    new.save(d, overwrite=True)
    assert same(nclib.Library.load(d), new) and leftovers(d) == []
    renames = []
    real_rename = os.rename

    def crash_after_the_second(src, dst):
        renames.append((src, dst))
        if len(renames) >= 3:  # 1: tmp onto d fails (d is not empty); 2: d aside; 3: tmp onto d (and no roll-back)
            raise OSError(errno.EIO, "injected crash between the two renames")
        return real_rename(src, dst)

    monkeypatch.setattr(os, "rename", crash_after_the_second)
    with pytest.raises(OSError, match="injected crash"):
        old.save(d, overwrite=True)
    monkeypatch.undo()
    assert not d.exists() and [n for n in leftovers(d) if ".old-" in n]
    with pytest.raises(LibraryError, match="the directory does not exist"):
        nclib.Library.load(d)
    recover(d)
    assert same(nclib.Library.load(d), new)  # the complete previous version
    assert leftovers(d) == []
    # the same failure in a process that lives on: the old directory is put back at once
    renames.clear()

    def fail_the_third(src, dst):
        renames.append((src, dst))
        if len(renames) == 3:
            raise OSError(errno.EIO, "injected failure of the second rename")
        return real_rename(src, dst)

    monkeypatch.setattr(atomic, "_exchange", no_exchange)
    monkeypatch.setattr(os, "rename", fail_the_third)
    with pytest.raises(OSError, match="injected failure"):
        old.save(d, overwrite=True)
    monkeypatch.undo()
    assert same(nclib.Library.load(d), new) and leftovers(d) == []


def test_a_leftover_of_a_crashed_save_is_never_read_and_is_removed(tmp_path, old_new):
    old, new = old_new
    d = tmp_path / "lib"
    old.save(d, overwrite=True)
    dead = tmp_path / f".lib.tmp-{2**31 - 1}-deadbeef"  # no such process
    dead.mkdir()
    (dead / "manifest.json").write_text("{ half a manifest")
    assert same(nclib.Library.load(d), old)
    new.save(d, overwrite=True)
    assert not dead.exists()
    assert same(nclib.Library.load(d), new)


def test_saving_onto_a_file_or_a_foreign_directory_is_refused(tmp_path, old_new):
    old, _ = old_new
    target = tmp_path / "afile"
    target.write_text("precious")
    with pytest.raises(SaveError, match=f"{target} is a file, not a directory"):
        old.save(target)
    assert target.read_text() == "precious"
    foreign = tmp_path / "notes"
    foreign.mkdir()
    (foreign / "todo.txt").write_text("keep me")
    with pytest.raises(SaveError, match=r"notes is not empty and holds no nclib library \(todo.txt\)"):
        old.save(foreign)
    assert sorted(p.name for p in foreign.iterdir()) == ["todo.txt"]


def test_other_files_in_a_library_directory_survive_a_save(tmp_path, old_new):
    old, new = old_new
    d = tmp_path / "lib"
    old.save(d, overwrite=True)
    (d / "README.md").write_text("my notes")
    new.save(d, overwrite=True)
    assert (d / "README.md").read_text() == "my notes"
    assert same(nclib.Library.load(d), new)


def test_atomic_write_bytes_is_old_or_new(tmp_path, monkeypatch):
    path = tmp_path / "config.yaml"
    atomic_write_bytes(path, b"old")

    def enospc(fd):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(os, "fsync", enospc)
    with pytest.raises(OSError):
        atomic_write_bytes(path, b"new" * 1000)
    monkeypatch.undo()
    assert path.read_bytes() == b"old" and sorted(p.name for p in tmp_path.iterdir()) == ["config.yaml"]
    atomic_write_bytes(path, b"new")
    assert path.read_bytes() == b"new"
    with pytest.raises(SaveError, match="is a directory, not a file"):
        atomic_write_bytes(tmp_path, b"x")


def test_read_files_names_the_missing_file(tmp_path):
    with atomic_directory(tmp_path / "d") as tmp:
        (tmp / "a").write_bytes(b"1")
    assert read_files(tmp_path / "d", ["a"]) == {"a": b"1"}
    with pytest.raises(FileNotFoundError) as err:
        read_files(tmp_path / "d", ["a", "b"])
    assert err.value.filename == str(tmp_path / "d" / "b")


def test_the_current_directory_is_never_swapped(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SaveError, match="holds the current directory"):
        with atomic_directory("."):
            pass


# --- the model and the evaluation outputs ---------------------------------------------------------

@pytest.fixture(scope="module")
def tiny_model():
    from transformers import LlamaConfig

    from nclib.model.modeling_ncllama import NCLlamaForCausalLM

    torch.manual_seed(0)
    cfg = LlamaConfig(vocab_size=64, hidden_size=16, intermediate_size=32, num_hidden_layers=1, num_attention_heads=2,
                      num_key_value_heads=1, head_dim=8, bos_token_id=0, eos_token_id=1)
    return NCLlamaForCausalLM.from_base(cfg)


def test_save_pretrained_onto_a_file_raises(tmp_path, tiny_model):
    target = tmp_path / "model.bin"
    target.write_bytes(b"not a directory")
    with pytest.raises(SaveError) as err:
        tiny_model.save_pretrained(target)
    assert str(err.value).startswith(f"{target} is a file") and "\n" not in str(err.value)
    assert target.read_bytes() == b"not a directory"


def test_save_pretrained_is_all_or_nothing_and_keeps_the_tokenizer(tmp_path, monkeypatch, tiny_model):
    import transformers.modeling_utils

    from nclib.model.modeling_ncllama import NCLlamaForCausalLM

    d = tmp_path / "model"
    tiny_model.save_pretrained(d)
    (d / "tokenizer.json").write_text("{}")  # saved next to the model, as a recipe does
    before = {p.name: p.read_bytes() for p in d.iterdir()}

    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    changed = NCLlamaForCausalLM.from_pretrained(d)
    with torch.no_grad():
        changed.lm_head.weight.add_(1.0)
    monkeypatch.setattr(transformers.modeling_utils, "safe_save_file", full)
    with pytest.raises(OSError):
        changed.save_pretrained(d)
    monkeypatch.undo()
    assert {p.name: p.read_bytes() for p in d.iterdir()} == before
    changed.save_pretrained(d)
    assert (d / "tokenizer.json").read_text() == "{}"
    again = NCLlamaForCausalLM.from_pretrained(d)
    assert torch.equal(again.lm_head.weight, changed.lm_head.weight)
    assert leftovers(d) == []


def test_evaluation_outputs_are_replaced_together(tmp_path, monkeypatch):
    from nclib import evaluation

    rows = [{"model": "m", "task": "add", "split": "test_iid", "size": 2, "prompt": "1+1", "answer": "2",
             "prediction": p, "correct": p == "2"} for p in ("2", "3")]
    out = tmp_path / "eval"
    evaluation.write_results(rows[:1], out)
    (out / "notes.md").write_text("mine")
    before = {p.name: p.read_bytes() for p in out.iterdir()}

    def broken_plot(*args, **kwargs):
        raise RuntimeError("injected plotting failure")

    monkeypatch.setattr(evaluation, "plot_accuracy_by_size", broken_plot)
    with pytest.raises(RuntimeError):
        evaluation.write_results(rows, out)
    monkeypatch.undo()
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before  # not new predictions beside an old table
    evaluation.write_results(rows, out)
    assert len((out / "predictions.jsonl").read_text().splitlines()) == 2 and (out / "notes.md").read_text() == "mine"


def test_replacing_a_library_or_a_foreign_manifest_needs_consent(tmp_path, old_new):
    """A saved library is replaced only with overwrite=True; a folder whose manifest.json is not a
    saved library's (a user's own file) is never written, with or without it (issue 29)."""
    old, new = old_new
    d = tmp_path / "lib"
    old.save(d)
    with pytest.raises(SaveError, match=r"lib already holds a saved library \(library.safetensors, manifest.json\): pass overwrite=True"):
        new.save(d)
    assert same(nclib.Library.load(d), old)
    new.save(d, overwrite=True)
    assert same(nclib.Library.load(d), new)
    mine = tmp_path / "webapp"
    mine.mkdir()
    (mine / "manifest.json").write_text('{"name": "my web app", "icons": []}')
    for overwrite in (False, True):
        with pytest.raises(SaveError, match=r"webapp holds a manifest.json that is not a saved nclib library's .*it is kept"):
            old.save(mine, overwrite=overwrite)
    assert (mine / "manifest.json").read_text() == '{"name": "my web app", "icons": []}'
    assert sorted(p.name for p in mine.iterdir()) == ["manifest.json"]
