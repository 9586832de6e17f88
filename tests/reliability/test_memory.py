"""Soft mode estimates its memory before allocating and refuses what cannot fit, naming the window,
the estimate and the alternative (hard or worlds mode), in well under a second and without
growing the process; hard mode keeps working on any window."""

from __future__ import annotations

import json
import time

import pytest
import torch

import nclib
from nclib import memory
from nclib.errors import LibraryError, MemoryLimitError, NclibError
from nclib.machine import SoftTables, binary_table, python_op

pytestmark = pytest.mark.usefixtures("one_thread")

ADD3 = "def add3(a: int, b: int) -> int:\n    return a + b + 1\n"
MUL = "def times(a: int, b: int) -> int:\n    return a * b\n"


def rss_mib() -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    raise AssertionError("no VmRSS in /proc/self/status")


class Refusal:
    """Runs `call`, which must raise MemoryLimitError without allocating, within `max_seconds` of
    CPU time (process time: the shared test machine's load does not count)."""

    def __init__(self, call, max_seconds: float = 1.0):
        before, start = rss_mib(), time.process_time()
        with pytest.raises(MemoryLimitError) as err:
            call()
        self.seconds = time.process_time() - start
        self.grown_mib = rss_mib() - before
        self.message = str(err.value)
        assert isinstance(err.value, NclibError) and "\n" not in self.message
        assert self.seconds < max_seconds, self.seconds
        assert self.grown_mib < 100, self.grown_mib


def test_terabyte_window_runs_hard_and_refuses_soft_before_allocating(tmp_path):
    start = time.process_time()
    prog = nclib.compile(ADD3, values=(0, 2 ** 40))
    assert time.process_time() - start < 1.0
    assert prog(3, 4) == 8 and prog(2 ** 39, 2 ** 38) == 2 ** 39 + 2 ** 38 + 1  # hard mode: any window
    for call in (lambda: prog.encode([(3, 4)], "soft"), lambda: prog.tensors,
                 lambda: nclib.Library([prog]).save(tmp_path / "lib")):
        refusal = Refusal(call)
        assert f"[0, {2 ** 40})" in refusal.message and "GiB" in refusal.message
        assert "hard mode" in refusal.message and "worlds" in refusal.message
    assert not (tmp_path / "lib" / "manifest.json").exists()


def test_edited_manifest_window_is_refused_before_allocating(tmp_path):
    """A hand-edited manifest asking for a 2**40 window used to ask for terabytes."""
    nclib.Library([nclib.compile(ADD3, values=(0, 256))]).save(tmp_path)
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    manifest["routines"][0]["values"] = [0, 2 ** 40]
    (tmp_path / "manifest.json").write_text(json.dumps(manifest))
    before, start = rss_mib(), time.process_time()
    with pytest.raises(LibraryError, match=r"values=\(0, 1099511627776\) do not match its saved constants"):
        nclib.Library.load(tmp_path)
    assert time.process_time() - start < 1.0 and rss_mib() - before < 100


def test_seventy_thousand_value_window_refuses_naming_the_estimate():
    """The issue's case: a 70,000-value soft window was killed by the kernel at 21 GB."""
    prog = nclib.compile(ADD3, values=(0, 70_000))
    x = torch.nn.functional.one_hot(torch.tensor([5] * 8), 70_000).float()  # 8 items: about 290 GiB
    est = memory.soft_estimate(prog.asm, batch=8)
    assert est.square == 4 * 8 * 2 * 70_000 ** 2  # two add lines, one [V, V] float32 window per item
    refusal = Refusal(lambda: prog.execute(x, x, mode="soft"))
    assert "V=70000" in refusal.message and f"{est.total / memory.GiB:.3g} GiB" in refusal.message
    assert "hard mode" in refusal.message and "mode='worlds'" in refusal.message and "a minute per item" in refusal.message
    assert prog.decode(prog.execute(x, x, mode="worlds", top_k=1)) == [11] * 8  # the alternative works


def test_refusal_compares_the_estimate_with_the_available_memory(monkeypatch):
    prog = nclib.compile(ADD3, values=(0, 70_000))
    need = memory.soft_estimate(prog.asm, batch=1).total
    monkeypatch.setattr(memory, "available_bytes", lambda device="cpu": int(need / memory.SAFETY) + 1)
    memory.check_soft_run(prog.asm, 1, torch.float32, "cpu")  # fits: no error
    monkeypatch.setattr(memory, "available_bytes", lambda device="cpu": int(need / memory.SAFETY) - 1)
    with pytest.raises(MemoryLimitError, match="a soft-mode run of 1 item"):
        memory.check_soft_run(prog.asm, 1, torch.float32, "cpu")


def test_estimate_grows_with_batch_window_and_gradients():
    small = nclib.compile(ADD3, values=(0, 256)).asm
    wide = nclib.compile(ADD3, values=(0, 512)).asm
    one, four = memory.soft_estimate(small, 1), memory.soft_estimate(small, 4)
    assert four.state == 4 * one.state and four.square == 4 * one.square
    assert memory.soft_estimate(wide, 1).square == 4 * one.square
    assert memory.soft_estimate(small, 1, grad=True).total > one.total
    assert memory.soft_estimate(small, 1, dtype=torch.float64).total > one.total


def test_table_cap_refuses_before_building(monkeypatch):
    prog = nclib.compile(MUL, values=(0, 8192))  # one [8192, 8192] int64 table: 512 MiB
    assert memory.table_bytes(prog.asm) == 8 * 8192 ** 2
    monkeypatch.setattr(memory, "available_bytes", lambda device="cpu": 256 * 1024 ** 2)
    refusal = Refusal(lambda: SoftTables(prog.asm, torch.device("cpu")))
    assert "result tables" in refusal.message and "0.5 GiB" in refusal.message


@pytest.mark.parametrize("lo,V", [(0, 13), (-8, 16), (-5, 11)])
def test_vectorized_tables_match_python(lo, V):
    for name in ("mul", "floordiv", "mod"):
        want = torch.tensor([[(python_op(name, a, b) - lo) % V for b in range(lo, lo + V)] for a in range(lo, lo + V)])
        assert torch.equal(binary_table(name, lo, V, rows=4), want), name


def test_soft_run_still_exact_after_the_checks():
    prog = nclib.compile(ADD3, values=(-8, 8))
    calls = [(1, 2), (-3, 4), (-8, 5)]
    res = prog.execute(*prog.encode(calls, "soft"), mode="soft")
    assert prog.decode(res) == [a + b + 1 for a, b in calls]


def test_from_base_refuses_a_huge_soft_routine_at_construction():
    """from_base used to accept a soft routine over 2**17 values and fail at the first forward."""
    from ncllama_testing import tiny_llama_config
    from transformers import LlamaForCausalLM

    from nclib.model import NCLlamaForCausalLM, load_llama32_tokenizer

    tok = load_llama32_tokenizer()
    base = LlamaForCausalLM(tiny_llama_config())
    prog = nclib.compile(ADD3, values=(0, 2 ** 17))
    # construction reads the tokenizer's number tokens first (seconds); what matters is that nothing is allocated
    refusal = Refusal(lambda: NCLlamaForCausalLM.from_base(base, library=[prog], tokenizer=tok), max_seconds=30)
    assert "add3" in refusal.message and "V=131072" in refusal.message and "nc_machine_mode='hard'" in refusal.message
    model = NCLlamaForCausalLM.from_base(base, library=[prog], tokenizer=tok, nc_machine_mode="hard")
    assert model.config.nc_routines[0]["V"] == 2 ** 17


LENGTH = "def length(a: list[int]) -> int:\n    return len(a)\n"


def test_hard_mode_with_a_huge_memory_is_refused_before_allocating():
    """memory=2**40 cells is 8 TiB of int64 state per item (issue 29): the Python call, a batched
    hard run and a worlds-sized batch are refused naming memory= and the batch, nothing allocated."""
    prog = nclib.compile(LENGTH, values=(0, 2 ** 41), memory=2 ** 40)
    one = Refusal(lambda: prog([1, 2]))
    assert "length: a hard-mode run of 1 item with memory=1,099,511,627,776 cells" in one.message
    assert "compile with a smaller memory= or run a smaller batch" in one.message
    batch = Refusal(lambda: prog.execute(*prog.encode([([1, 2],)] * 3), mode="hard"))
    assert "a hard-mode run of 3 items" in batch.message
    small = nclib.compile(LENGTH, values=(0, 2 ** 20), memory=2 ** 12)  # 32 KiB per item
    assert small([1, 2, 3]) == 3
    need = memory.hard_state_bytes(small.asm, 10 ** 6)
    assert need == 8 * 10 ** 6 * (small.asm.n_regs + len(small.asm.consts) + 2 ** 12 + small.asm.stack * (small.asm.n_regs + 1) + 7)
    too_many = memory.available_bytes() // memory.hard_state_bytes(small.asm, 1) + 1  # more than all there is
    assert f"a hard-mode run of {too_many:,} items" in Refusal(lambda: memory.check_hard_run(small.asm, too_many)).message
