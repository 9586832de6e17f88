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
    lib.save(path, overwrite=True)
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


# -- the one library format: program hash, manifest, fingerprint, earlier saves --------------------

DOUBLE = "def double(x: int) -> int:\n    return x + x\n"


def test_program_hash_changes_with_behaviour_only():
    from nclib.runtime.library import program_sha256

    base = program_sha256(nclib.compile(DOUBLE, values=(0, 64)))
    assert len(base) == 64 and base == program_sha256(nclib.compile(DOUBLE, values=(0, 64)))
    same_behaviour = [  # name, comments, blank lines and the file name change diagnostics only
        nclib.compile(DOUBLE.replace("double", "twice"), values=(0, 64)),
        nclib.compile("\n# doubles\n" + DOUBLE, values=(0, 64), file="other.py"),
    ]
    assert {program_sha256(p) for p in same_behaviour} == {base}
    changed = {
        "code": nclib.compile("def double(x: int) -> int:\n    return x + x + 1\n", values=(0, 64)),
        "window": nclib.compile(DOUBLE, values=(-64, 64)),
        "width": nclib.compile(DOUBLE, values=(0, 65)),
        "memory": nclib.compile(DOUBLE, values=(0, 64), memory=8),
        "default": nclib.compile("def double(x: int = 3) -> int:\n    return x + x\n", values=(0, 64)),
    }
    hashes = {k: program_sha256(p) for k, p in changed.items()}
    assert base not in hashes.values() and len(set(hashes.values())) == len(hashes), hashes
    fact = "def fact(n: int) -> int:\n    return 1 if n < 2 else n * fact(n - 1)\n"  # recursive: the stack is used
    assert program_sha256(nclib.compile(fact, stack=8)) != program_sha256(nclib.compile(fact, stack=9))
    check = "def f(x):\n    assert x < 9, '{}'\n    return x\n"
    assert program_sha256(nclib.compile(check.format("too big"))) != program_sha256(nclib.compile(check.format("too large")))


def test_program_hash_is_stable_across_processes():
    """No Python hash(), set order or memory address leaks into it: another interpreter with another
    hash seed computes the same value."""
    import os
    import subprocess
    import sys

    from nclib.runtime.library import program_sha256

    script = ("import nclib; from nclib.runtime.library import program_sha256; "
              f"print(program_sha256(nclib.stdlib(values=(0, 64), memory=16)['gcd']), "
              f"nclib.Library([nclib.compile({DOUBLE!r}, values=(0, 64))]).fingerprint())")
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300, check=True,
                         env={**os.environ, "PYTHONHASHSEED": "12345"}).stdout.split()
    assert out == [program_sha256(nclib.stdlib(values=(0, 64), memory=16)["gcd"]),
                   nclib.Library([nclib.compile(DOUBLE, values=(0, 64))]).fingerprint()]


def test_manifest_lists_each_routine_with_its_program_hash(saved):
    from nclib.runtime.library import program_sha256

    lib, path = saved
    manifest = lib.manifest()
    assert (manifest["format"], manifest["format_version"]) == ("nclib-library", 2)
    assert [e["name"] for e in manifest["routines"]] == ["double", "gcd"]
    entry = manifest["routines"][1]
    gcd = lib["gcd"]
    assert entry == {"name": "gcd", "file": gcd.asm.file, "source": gcd.source, "values": [0, 64], "memory": 16,
                     "stack": gcd.stack, "program_sha256": program_sha256(gcd)}
    assert entry["file"].startswith("nclib/routines/") and "def gcd(" in entry["source"]
    on_disk = json.loads((path / "manifest.json").read_text())
    assert on_disk == {**manifest, "fingerprint": lib.fingerprint()}
    assert nclib.Library.load(path).manifest() == manifest and nclib.Library.load(path).fingerprint() == lib.fingerprint()


def test_fingerprint_follows_routines_order_and_tensors():
    a = nclib.compile(DOUBLE, values=(0, 64))
    b = nclib.compile("def inc(x: int) -> int:\n    return x + 1\n", values=(0, 64))
    fp = nclib.Library([a, b]).fingerprint()
    assert fp == nclib.Library([nclib.compile(DOUBLE, values=(0, 64)), b]).fingerprint()
    assert fp != nclib.Library([b, a]).fingerprint()  # router order is part of a library
    assert fp != nclib.Library([nclib.compile(DOUBLE, values=(0, 65)), b]).fingerprint()  # a changed routine
    assert fp != nclib.Library([a, nclib.compile("def inc(x: int) -> int:\n    return x + 2\n", values=(0, 64))]).fingerprint()
    trained = nclib.compile(DOUBLE, values=(0, 64))
    trained.tensors = {**trained.tensors, "consts": trained.tensors["consts"] * 0.5}
    assert fp != nclib.Library([trained, b]).fingerprint()  # a trained tensor
    as_double = {k: v.double() for k, v in a.tensors.items()}  # a float64 copy of the same values
    assert fp == nclib.Library([nclib.Program(a.asm, as_double), b]).fingerprint()


def test_edited_tensors_fail_the_saved_fingerprint(saved):
    from safetensors.torch import load_file, save_file

    _, path = saved
    tensors = load_file(path / "library.safetensors")
    tensors["gcd.consts"] = tensors["gcd.consts"] * 0.5  # a valid file with other values
    save_file(tensors, path / "library.safetensors")
    with pytest.raises(LibraryError, match="do not match the manifest's fingerprint") as err:
        nclib.Library.load(path)
    assert "\n" not in str(err.value)


def write_version_1(path):
    """Rewrite a saved library as format version 1 wrote it: per routine `table_sha256`, the SHA-256
    of the table's int64 bytes (the algorithm of that version, restated), and no fingerprint."""
    import hashlib

    from safetensors.torch import load_file

    manifest = json.loads((path / "manifest.json").read_text())
    tensors = load_file(path / "library.safetensors")
    manifest["format_version"] = 1
    del manifest["fingerprint"]
    for entry in manifest["routines"]:
        del entry["program_sha256"]
        entry["table_sha256"] = hashlib.sha256(tensors[f"{entry['name']}.table"].numpy().tobytes()).hexdigest()
    (path / "manifest.json").write_text(json.dumps(manifest))
    return manifest


def test_version_1_library_still_loads(saved):
    lib, path = saved
    write_version_1(path)
    loaded = nclib.Library.load(path)
    assert loaded["double"](21) == 42 and loaded.manifest() == lib.manifest() and loaded.fingerprint() == lib.fingerprint()
    loaded.save(path, overwrite=True)  # saved again: the current format
    assert json.loads((path / "manifest.json").read_text())["format_version"] == 2


def test_version_1_library_whose_program_changed_is_refused(saved):
    _, path = saved
    manifest = write_version_1(path)
    manifest["routines"][1]["table_sha256"] = "0" * 64  # what another compiler version would have saved
    (path / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(LibraryError, match="routine 'gcd' compiles to a different program.*save it again") as err:
        nclib.Library.load(path)
    assert "\n" not in str(err.value)


def test_model_manifest_is_not_a_saved_library(saved):
    _, path = saved
    manifest = json.loads((path / "manifest.json").read_text())
    manifest["format"] = "ncllama-library-v1"
    (path / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(LibraryError, match="model config's library manifest.*from_pretrained"):
        nclib.Library.load(path)


def test_of_takes_a_library_programs_or_one_program():
    p, q = nclib.compile(DOUBLE), nclib.compile("def inc(x: int) -> int:\n    return x + 1\n")
    lib = nclib.Library([p, q])
    assert nclib.Library.of(lib) is lib and nclib.Library.of([p, q]).names == ["double", "inc"]
    assert nclib.Library.of(p).names == ["double"] and len(nclib.Library.of(None)) == 0
    with pytest.raises(TypeError, match="got str"):
        nclib.Library.of("double")
    with pytest.raises(TypeError, match="Library takes Programs, got int"):
        nclib.Library.of([p, 3])


def test_saved_source_outside_the_language_is_one_clear_line(saved):
    _, path = saved
    manifest = json.loads((path / "manifest.json").read_text())
    manifest["routines"][0]["source"] = "def double(x: int) -> int:\n    return {x: x}\n"  # a dict: not compiled
    (path / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(LibraryError, match="routine 'double' does not compile with this nclib .*save it again") as err:
        nclib.Library.load(path)
    assert "\n" not in str(err.value)
