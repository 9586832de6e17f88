"""The model holds nclib's one library format: its config's manifest and fingerprint are exactly
`nclib.Library.manifest()` / `.fingerprint()` (nclib/runtime/library.py), before and after a save, and a
changed routine or trained tensor changes the fingerprint."""

import json

import pytest
import torch

import nclib
from nclib.model import LibraryMismatchError, NCLlamaForCausalLM
from nclib.model.library import fingerprint


def test_config_holds_the_librarys_manifest_and_fingerprint(wrapped, library, tmp_path):
    _, model = wrapped
    lib = nclib.Library(library)
    assert model.config.nc_library == lib.manifest()
    assert model.config.nc_library_fingerprint == lib.fingerprint() == model.reasoning.library.fingerprint()
    assert fingerprint(library) == lib.fingerprint()  # a list of Programs is read as the Library of them
    rebuilt = model.reasoning.library.library()
    assert rebuilt.names == lib.names and rebuilt.manifest() == lib.manifest() and rebuilt.fingerprint() == lib.fingerprint()
    model.save_pretrained(tmp_path)
    config = json.loads((tmp_path / "config.json").read_text())
    assert config["nc_library"] == lib.manifest() and config["nc_library_fingerprint"] == lib.fingerprint()
    loaded = NCLlamaForCausalLM.from_pretrained(tmp_path, library=lib)
    assert loaded.config.nc_library == lib.manifest() and loaded.reasoning.library.fingerprint() == lib.fingerprint()


def test_a_changed_routine_changes_the_fingerprint_and_is_refused(wrapped, library, llama_tok, tmp_path):
    base, model = wrapped
    fib = library[1]
    other_fib = nclib.compile(fib.source, entry="fib", values=(0, 256), memory=64, file=fib.asm.file)  # memory 128 -> 64
    changed = [library[0], other_fib, library[2]]
    assert nclib.Library(changed).fingerprint() != nclib.Library(library).fingerprint()
    rewrapped = NCLlamaForCausalLM.from_base(base, library=changed, tokenizer=llama_tok)
    assert rewrapped.config.nc_library_fingerprint == nclib.Library(changed).fingerprint() != model.config.nc_library_fingerprint
    assert rewrapped.config.nc_library["routines"][1]["program_sha256"] != model.config.nc_library["routines"][1]["program_sha256"]
    model.save_pretrained(tmp_path)
    with pytest.raises(LibraryMismatchError, match=r"\['add', 'fib', 'insertion_sort'\] differ .*compiled programs"):
        NCLlamaForCausalLM.from_pretrained(tmp_path, library=changed)


def test_trained_library_tensors_are_in_the_saved_fingerprint(tiny_base, library, llama_tok, tmp_path):
    model = NCLlamaForCausalLM.from_base(tiny_base, library=library, tokenizer=llama_tok, nc_train_library=True)
    untrained = nclib.Library(library).fingerprint()
    with torch.no_grad():
        model.reasoning.library.routines["fib"].consts.mul_(0.5)
    assert model.reasoning.library.fingerprint() != untrained
    model.save_pretrained(tmp_path)
    saved = json.loads((tmp_path / "config.json").read_text())["nc_library_fingerprint"]
    assert saved == model.reasoning.library.library().fingerprint() != untrained
    loaded = NCLlamaForCausalLM.from_pretrained(tmp_path, library=library)  # trainable: other tensors are expected
    assert torch.equal(loaded.reasoning.library.routines["fib"].consts, model.reasoning.library.routines["fib"].consts)


def test_config_whose_routines_disagree_is_refused(wrapped):
    _, model = wrapped
    model.config.nc_library = {**model.config.nc_library, "routines": model.config.nc_library["routines"][:2]}
    with pytest.raises(LibraryMismatchError, match=r"names the routines \['add', 'fib'\], nc_routines \['add', 'fib', "
                                                   r"'insertion_sort'\].*the config was edited"):
        model.reasoning.library.fingerprint()
