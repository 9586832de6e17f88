"""Library save/load round trip and clear errors for corrupt or mismatched files."""

import json

import pytest
import torch

import nclib
from nclib import LibraryError


@pytest.fixture
def saved(tmp_path):
    lib = nclib.Library([nclib.compile("def double(x: int) -> int:\n    return x + x\n", values=(0, 64)),
                         nclib.stdlib(values=(0, 64), memory=16)["gcd"]])
    lib.save(tmp_path / "lib")
    return lib, tmp_path / "lib"


def test_round_trip(saved):
    lib, path = saved
    loaded = nclib.Library.load(path)
    assert loaded.names == ["double", "gcd"]
    assert loaded["double"](21) == 42 and loaded["gcd"](12, 18) == 6
    for key, value in lib.state_dict().items():
        assert torch.equal(loaded.state_dict()[key], value), key
    manifest = json.loads((path / "manifest.json").read_text())
    assert "return x + x" in manifest["routines"][0]["source"]


def test_trained_tensors_survive(saved):
    lib, path = saved
    lib["double"].tensors["consts"] = lib["double"].tensors["consts"] * 0.5
    lib.save(path)
    assert torch.equal(nclib.Library.load(path)["double"].tensors["consts"], lib["double"].tensors["consts"])


def test_missing_file(tmp_path):
    with pytest.raises(LibraryError, match="manifest.json is missing"):
        nclib.Library.load(tmp_path)


def test_corrupt_tensors(saved):
    _, path = saved
    (path / "library.safetensors").write_bytes(b"not a safetensors file")
    with pytest.raises(LibraryError, match="corrupt"):
        nclib.Library.load(path)


def test_corrupt_manifest(saved):
    _, path = saved
    (path / "manifest.json").write_text("{ nope")
    with pytest.raises(LibraryError, match="corrupt"):
        nclib.Library.load(path)


def test_version_mismatch(saved):
    _, path = saved
    manifest = json.loads((path / "manifest.json").read_text())
    manifest["format_version"] = 99
    (path / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(LibraryError, match="version 99 is not supported"):
        nclib.Library.load(path)


def test_edited_source_does_not_match_saved_program(saved):
    _, path = saved
    manifest = json.loads((path / "manifest.json").read_text())
    manifest["routines"][0]["source"] = "def double(x: int) -> int:\n    return x * 2\n"
    (path / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(LibraryError, match="compiles to a different program"):
        nclib.Library.load(path)


def test_duplicate_and_unknown_names():
    p = nclib.compile("def f(x):\n    return x\n")
    with pytest.raises(ValueError, match="two routines are named 'f'"):
        nclib.Library([p, p])
    with pytest.raises(KeyError, match="no routine 'g'"):
        nclib.Library([p])["g"]


def test_stdlib_has_every_routine_of_the_design():
    names = set(nclib.stdlib().names)
    assert {"add", "sub", "mul", "divmod", "compare", "fib", "fib_iter", "factorial", "gcd", "insertion_sort",
            "bubble_sort", "binary_search", "bfs_reachable", "dfs_reachable", "bfs_distance", "parse_digits",
            "render_digits"} <= names
