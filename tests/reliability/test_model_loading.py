"""Loading an NCLlama model is honest: a missing directory fails at once naming the path, a
checkpoint without its reasoning-module weights or with a null library fingerprint is refused,
and a typo'd config field names the closest real one. Tiny random LLaMA-3.2-shaped models."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
import torch
from huggingface_hub.errors import StrictDataclassClassValidationError
from safetensors.torch import load_file, save_file
from transformers import LlamaForCausalLM

import nclib
from nclib.errors import ArgumentError, NclibError
from nclib.model import LibraryMismatchError, NCLlamaConfig, NCLlamaForCausalLM, load_llama32_tokenizer
from nclib.model.errors import MissingModuleWeightsError, ModelPathError

from ncllama_testing import ROUTINES, tiny_llama_config  # noqa: E402

pytestmark = pytest.mark.usefixtures("one_thread")


@pytest.fixture(scope="module")
def tok():
    return load_llama32_tokenizer()


@pytest.fixture(scope="module")
def model(tok):
    torch.manual_seed(0)
    lib = nclib.stdlib()
    return NCLlamaForCausalLM.from_base(LlamaForCausalLM(tiny_llama_config()), library=[lib[n] for n in ROUTINES],
                                        tokenizer=tok).eval()


@pytest.fixture
def saved(model, tmp_path):
    model.save_pretrained(tmp_path)
    return tmp_path


def drop_weights(directory: Path, prefix: str) -> list[str]:
    """Remove the tensors whose names start with `prefix` from the saved weights; returns their names."""
    weights = load_file(directory / "model.safetensors")
    dropped = sorted(k for k in weights if k.startswith(prefix))
    assert dropped, prefix
    save_file({k: v for k, v in weights.items() if k not in dropped}, directory / "model.safetensors", metadata={"format": "pt"})
    return dropped


def test_complete_checkpoint_loads_with_nothing_missing(model, saved):
    loaded, info = NCLlamaForCausalLM.from_pretrained(saved, output_loading_info=True)
    assert not info["missing_keys"] and not info["unexpected_keys"]
    ids = torch.tensor([[128000, 3923, 374, 220, 717, 10, 1958, 30]])
    with torch.no_grad():
        assert torch.equal(model(ids).logits, loaded(ids).logits)


@pytest.mark.parametrize("prefix", ["reasoning.router.", "reasoning.reader.", "reasoning.writer."])
def test_missing_module_weights_are_refused(saved, prefix):
    """Used to load as a model that never fires, with only a table on stderr saying so."""
    dropped = drop_weights(saved, prefix)
    with pytest.raises(MissingModuleWeightsError) as err:
        NCLlamaForCausalLM.from_pretrained(saved)
    text = str(err.value)
    assert "\n" not in text and isinstance(err.value, NclibError)
    assert str(saved) in text and dropped[0] in text and "fresh_reasoning=True" in text


def test_fresh_module_weights_only_when_asked(model, saved):
    drop_weights(saved, "reasoning.router.")
    loaded = NCLlamaForCausalLM.from_pretrained(saved, fresh_reasoning=True)
    fresh = loaded.reasoning.router
    # the closed, untrained router of from_base (transformers alone would give random leaves)
    assert torch.equal(fresh.proj.weight, torch.zeros_like(fresh.proj.weight))
    assert fresh.proj.bias[0].item() == loaded.config.nc_router_no_call_bias
    kept, want = loaded.reasoning.reader.state_dict(), model.reasoning.reader.state_dict()
    assert kept.keys() == want.keys() and all(torch.equal(kept[k], want[k]) for k in want)  # the saved reader


def test_missing_library_tensors_are_refused_even_when_fresh(saved):
    drop_weights(saved, "reasoning.library.routines.fib.")
    for fresh in (False, True):
        with pytest.raises(MissingModuleWeightsError, match="reasoning.library.routines.fib.*library tensors"):
            NCLlamaForCausalLM.from_pretrained(saved, fresh_reasoning=fresh)


def test_null_fingerprint_is_an_error_not_a_skip(saved):
    config = json.loads((saved / "config.json").read_text())
    config["nc_library_fingerprint"] = None
    (saved / "config.json").write_text(json.dumps(config))
    with pytest.raises(LibraryMismatchError, match="nc_library_fingerprint is null"):
        NCLlamaForCausalLM.from_pretrained(saved)
    # the tensor check is what a null fingerprint used to skip: changed tensors are still caught
    weights = load_file(saved / "model.safetensors")
    key = next(k for k in weights if k.startswith("reasoning.library."))
    weights[key] = weights[key] * 0.5
    save_file(weights, saved / "model.safetensors", metadata={"format": "pt"})
    with pytest.raises(LibraryMismatchError):
        NCLlamaForCausalLM.from_pretrained(saved)


@pytest.mark.parametrize("name", ["out/no_such_run/final", "./no_such_model", "no_such_model", "someone/no-such-model"])
def test_missing_directory_fails_at_once_naming_it(name, monkeypatch):
    """A missing relative name used to spend 46 s retrying a hub these machines cannot reach."""
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    start = time.perf_counter()
    with pytest.raises(ModelPathError) as err:
        NCLlamaForCausalLM.from_pretrained(name)
    assert time.perf_counter() - start < 10  # at most the 2 s hub probe, plus load jitter
    text = str(err.value)
    assert name in text and "\n" not in text and isinstance(err.value, FileNotFoundError)
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    start = time.perf_counter()
    with pytest.raises(ModelPathError, match="no_such|no-such"):
        NCLlamaForCausalLM.from_pretrained(name)
    assert time.perf_counter() - start < 1


def test_typo_config_field_names_the_closest(tok):
    base = LlamaForCausalLM(tiny_llama_config())
    with pytest.raises(ArgumentError) as err:
        NCLlamaForCausalLM.from_base(base, tokenizer=tok, nc_max_step=5)
    assert "'nc_max_step'" in str(err.value) and "nc_max_steps" in str(err.value) and "\n" not in str(err.value)
    with pytest.raises(ArgumentError, match="'max_steps'.*nc_max_steps"):
        NCLlamaForCausalLM.from_base(base, tokenizer=tok, max_steps=5)
    with pytest.raises(StrictDataclassClassValidationError, match="'nc_halt_esp'.*nc_halt_eps"):
        NCLlamaConfig(hidden_size=32, num_attention_heads=4, nc_halt_esp=0.1)
    assert NCLlamaForCausalLM.from_base(base, tokenizer=tok, nc_max_steps=5).config.nc_max_steps == 5


def test_typo_in_a_saved_config_is_refused(saved):
    config = json.loads((saved / "config.json").read_text())
    config["nc_max_step"] = 5
    (saved / "config.json").write_text(json.dumps(config))
    with pytest.raises(StrictDataclassClassValidationError, match="'nc_max_step'.*nc_max_steps"):
        NCLlamaForCausalLM.from_pretrained(saved)


def test_edited_library_shapes_are_refused_before_allocation(saved):
    config = json.loads((saved / "config.json").read_text())
    shape = config["nc_library_tensors"]["add"]["consts"][0]
    config["nc_library_tensors"]["add"]["consts"][0] = [shape[0], 2 ** 40]
    (saved / "config.json").write_text(json.dumps(config))
    with pytest.raises(LibraryMismatchError, match="constants of routine 'add' have shape"):
        NCLlamaForCausalLM.from_pretrained(saved)


def write_ncllama_v1(directory: Path) -> dict:
    """Rewrite a saved checkpoint's config as nclib wrote it before the one library format (its
    algorithms restated here): an "ncllama-library-v1" manifest whose entries carry `entry` and
    `table_sha256` (SHA-256 of the table's int64 bytes and `repr` of the constants), and a
    fingerprint over the library weights sorted by routine, then tensor."""
    import hashlib

    config = json.loads((directory / "config.json").read_text())
    routines = []
    for e in config["nc_library"]["routines"]:
        asm = nclib.compile(e["source"], entry=e["name"], values=tuple(e["values"]), memory=e["memory"],
                            stack=e["stack"], file=e["file"]).asm
        table_sha = hashlib.sha256(asm.table.tobytes() + repr(asm.consts).encode()).hexdigest()
        routines.append({"name": e["name"], "entry": e["name"], "source": e["source"], "file": e["file"],
                         "values": e["values"], "memory": e["memory"], "stack": e["stack"], "table_sha256": table_sha})
    config["nc_library"] = {"format": "ncllama-library-v1", "routines": routines}
    prefix = "reasoning.library.routines."
    weights = {k[len(prefix):]: v for k, v in load_file(directory / "model.safetensors").items() if k.startswith(prefix)}
    nested: dict = {}
    for key, t in weights.items():
        r, k = key.split(".")
        nested.setdefault(r, {})[k] = t
    h = hashlib.sha256()
    for r in sorted(nested):
        for k in sorted(nested[r]):
            h.update(f"{r}.{k}:{list(nested[r][k].shape)}".encode())
            h.update(nested[r][k].float().contiguous().numpy().tobytes())
    config["nc_library_fingerprint"] = h.hexdigest()
    (directory / "config.json").write_text(json.dumps(config))
    return config


def test_checkpoint_of_the_earlier_library_format_loads_and_is_saved_in_the_current_one(model, saved, tmp_path):
    write_ncllama_v1(saved)
    lib = nclib.stdlib()
    loaded = NCLlamaForCausalLM.from_pretrained(saved, library=[lib[n] for n in ROUTINES])
    assert loaded.config.nc_library == model.config.nc_library  # upgraded in memory after its old hashes were checked
    assert loaded.config.nc_library_fingerprint == model.config.nc_library_fingerprint
    assert loaded.reasoning.library.programs()[ROUTINES.index("fib")](10) == 55
    ids = torch.tensor([[128000, 3923, 374, 220, 717, 10, 1958, 30]])
    with torch.no_grad():
        assert torch.equal(model(ids).logits, loaded(ids).logits)
    loaded.save_pretrained(tmp_path / "again")
    config = json.loads((tmp_path / "again" / "config.json").read_text())
    assert config["nc_library"] == model.config.nc_library and config["nc_library"]["format_version"] == 2
    assert NCLlamaForCausalLM.from_pretrained(tmp_path / "again").config.nc_library_fingerprint == model.config.nc_library_fingerprint


def test_earlier_format_checkpoint_with_another_program_or_tensors_is_refused(saved):
    config = write_ncllama_v1(saved)
    config["nc_library"]["routines"][1]["table_sha256"] = "0" * 64  # compiled by another nclib version
    (saved / "config.json").write_text(json.dumps(config))
    with pytest.raises(LibraryMismatchError, match="routine 'fib' compiles to a different program.*save it again") as err:
        NCLlamaForCausalLM.from_pretrained(saved)
    assert "\n" not in str(err.value)
    config = write_ncllama_v1(saved)
    config["nc_library_fingerprint"] = "f" * 64
    (saved / "config.json").write_text(json.dumps(config))
    with pytest.raises(LibraryMismatchError, match="do not match its config .fingerprint"):
        NCLlamaForCausalLM.from_pretrained(saved)


def test_unknown_library_format_is_one_clear_line(saved):
    config = json.loads((saved / "config.json").read_text())
    config["nc_library"]["format"] = "ncllama-library-v0"
    (saved / "config.json").write_text(json.dumps(config))
    with pytest.raises(LibraryMismatchError, match="format='ncllama-library-v0', expected 'nclib-library'") as err:
        NCLlamaForCausalLM.from_pretrained(saved)
    assert "\n" not in str(err.value)


@pytest.mark.parametrize("keep", [0.5, 0.001])
def test_truncated_weights_name_the_file(saved, tmp_path, keep):
    """A model.safetensors cut short (a copy that stopped): one NclibError naming the file."""
    import shutil

    copy = tmp_path / "copy"
    shutil.copytree(saved, copy)
    weights = copy / "model.safetensors"
    data = weights.read_bytes()
    weights.write_bytes(data[:max(8, int(len(data) * keep))])
    with pytest.raises(NclibError, match=rf"{weights}: .*corrupt or truncated"):
        NCLlamaForCausalLM.from_pretrained(copy)


def test_deeply_nested_library_manifest_names_the_file(tmp_path):
    lib_dir = tmp_path / "lib"
    nclib.Library([nclib.compile("def f(x: int) -> int:\n    return x\n")]).save(lib_dir)
    (lib_dir / "manifest.json").write_text("[" * 100_000 + "]" * 100_000)
    with pytest.raises(nclib.LibraryError, match=rf"{lib_dir / 'manifest.json'} is corrupt: nested too deeply"):
        nclib.Library.load(lib_dir)
