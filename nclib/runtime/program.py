"""`Program`: a compiled routine with its hard (exact) and soft (differentiable) execution."""

from __future__ import annotations

import difflib
import inspect
import textwrap
from typing import Callable

import torch

from nclib import kernels
from nclib.compiler import Assembly, compile_text
from nclib.runtime.call import call_hard, check_value, none_flags, raise_fault, with_defaults
from nclib.errors import ArgumentError, ValueRangeError
from nclib.machine.backend import run_hard
from nclib.machine.isa import FAULT_NO_HALT, HALT_LINE, RV
from nclib.machine.soft import SoftTables, run_soft, soft_parameters
from nclib.machine.state import initial_hard_state, initial_soft_state, list_layout, place_arguments
from nclib.runtime.result import ExecResult
from nclib.machine.memory import check_bytes, check_soft_run
from nclib.util.options import MODES, check_int as _check_int, check_unit as _check_unit

__all__ = ["ExecResult", "Program", "compile"]


def _function_source(fn: Callable) -> str:
    """The source of `fn` and of every module-level function it (transitively) calls by name.

    When they all come from one file, each function stays on its own line numbers (the lines
    between them are left blank), so errors and listings point at the file's real lines."""
    seen, found, todo = set(), [], [fn]
    while todo:
        f = todo.pop(0)
        if f.__name__ in seen:
            continue
        seen.add(f.__name__)
        try:
            lines, first = inspect.getsourcelines(f)
        except (OSError, TypeError) as err:
            raise ValueError(f"cannot read the source of {f!r}: {err}; pass the source text instead") from None
        found.append((inspect.getsourcefile(f), first, textwrap.dedent("".join(lines))))
        for name in f.__code__.co_names:
            other = f.__globals__.get(name)
            if inspect.isfunction(other) and name not in seen:
                todo.append(other)
    if len({path for path, _, _ in found}) > 1:
        return "\n\n".join(text for _, _, text in found)
    out: list[str] = []
    for _, first, text in sorted(found, key=lambda item: item[1]):
        out += [""] * (first - 1 - len(out))
        out += text.splitlines()
    return "\n".join(out) + "\n"


def compile(source_or_function, entry: str | None = None, values: tuple[int, int] = (0, 256), memory: int | None = None,
            stack: int = 16, file: str | None = None) -> "Program":
    """Compile a Python function (or source text holding one or more functions) into a Program.

    entry: the function to run (default: the function passed, or the only/first function of the source).
    values: the value window [lo, hi); memory: cells of the list memory (default min(64, hi - 1),
    as every address must be a value of the window); stack: call frames.
    Any window runs in hard mode; soft mode needs memory growing with (hi - lo) squared (`nclib.machine.memory`).
    """
    if entry is not None and not isinstance(entry, str):
        raise ArgumentError(f"entry={entry!r} must be the name of a function (a str)")
    if callable(source_or_function):
        source = _function_source(source_or_function)
        entry = entry or source_or_function.__name__
        file = file or inspect.getsourcefile(source_or_function) or "<function>"
    elif isinstance(source_or_function, str):
        source = source_or_function
    else:
        raise TypeError(f"nclib.compile expects a function or source text, got {type(source_or_function).__name__}")
    return Program(compile_text(source, entry, values=values, memory=memory, stack=stack, file=file or "<source>"))


def _result_mode(res: ExecResult) -> str:
    """Which mode produced `res`: worlds results carry `covered`; hard results count steps in int64,
    soft results as an expected (float) number."""
    if res.covered is not None:
        return "worlds"
    return "soft" if res.steps.is_floating_point() else "hard"


class Program:
    """A compiled routine. Hard mode is exact on int64; soft mode runs on distributions."""

    def __init__(self, asm: Assembly, tensors: dict[str, torch.Tensor] | None = None):
        self.asm = asm
        self._tensors = tensors
        self._tables: dict[torch.device, SoftTables] = {}

    @property
    def tensors(self) -> dict[str, torch.Tensor]:
        """The program as float tensors (`machine.soft_parameters`), built on first use: only soft
        mode reads them, and their constants [C, V] grow with the window."""
        if self._tensors is None:
            self._tensors = soft_parameters(self.asm)
        return self._tensors

    @tensors.setter
    def tensors(self, value: dict[str, torch.Tensor]) -> None:
        self._tensors = value

    # -- metadata --------------------------------------------------------------------------
    name = property(lambda self: self.asm.entry)
    lo = property(lambda self: self.asm.lo)
    V = property(lambda self: self.asm.V)
    memory = property(lambda self: self.asm.memory)
    stack = property(lambda self: self.asm.stack)
    params = property(lambda self: list(self.asm.params))
    param_kinds = property(lambda self: list(self.asm.param_kinds))
    returns = property(lambda self: self.asm.returns)
    source = property(lambda self: self.asm.source)

    def listing(self) -> str:
        return self.asm.listing()

    def __repr__(self) -> str:
        sig = ", ".join(f"{p}: {k}" for p, k in zip(self.params, self.param_kinds))
        return f"Program({self.name}({sig}) -> {self.returns}, values=[{self.lo}, {self.lo + self.V}), lines={self.asm.n_lines})"

    # -- Python in / Python out ------------------------------------------------------------
    def __call__(self, *args, max_steps: int = 1_000_000, **unknown):
        """Run once in hard mode on Python ints and lists, like calling the Python function.

        List arguments are updated in place, as Python would; faults raise (ValueRangeError for
        values outside the window, MachineFault for index errors, stack overflow, ...)."""
        if unknown:
            key = next(iter(unknown))
            close = difflib.get_close_matches(key, ["max_steps"], n=1)
            hint = (f"did you mean {close[0]}=?" if close else
                    "calling a Program runs hard mode; for soft or worlds mode use "
                    "prog.decode(prog.execute(*prog.encode([args], 'soft'), mode='soft'))" if key == "mode" else
                    "the only keyword is max_steps=")
            raise ArgumentError(f"{self.name}() got an unknown keyword argument {key}={unknown[key]!r}; {hint}")
        _check_int("max_steps", max_steps, 1, "machine steps before giving up")
        return call_hard(self.asm, args, max_steps)

    def encode(self, calls: list[tuple], mode: str = "hard", dtype: torch.dtype = torch.float32) -> list:
        """Python argument tuples (one per batch element) -> the batched arguments of `execute`
        (lists padded to the longest; soft mode: one-hot distributions of `dtype`)."""
        if mode not in MODES:
            raise ArgumentError(f"mode must be one of {', '.join(MODES)}, got {mode!r}")
        if not calls:
            raise ValueError("encode needs at least one call")
        calls = [with_defaults(self.asm, args) for args in calls]
        for args in calls:
            if len(args) != len(self.params):
                raise TypeError(f"{self.name} takes {len(self.params)} arguments ({', '.join(self.params)}), got {args!r}")
            for name, kind, arg in zip(self.params, self.param_kinds, args):
                if arg is None and name in none_flags(self.asm):
                    continue
                for x in (arg if kind == "list" else [arg]):
                    if isinstance(x, bool) or not isinstance(x, int):
                        raise ArgumentError(f"argument {name} of {self.name} must be {'a list of ints' if kind == 'list' else 'an int'}, "
                                            f"got {arg!r}")
                    check_value(self.asm, name, x)
        if mode != "hard":
            rows = len(calls) * sum(max(1, max(len(args[k]) for args in calls)) + 1 if kind == "list" else 1
                                    for k, kind in enumerate(self.param_kinds))
            check_bytes(rows * self.V * (dtype.itemsize + 8), f"{self.name}: the soft-mode inputs ({rows} one-hot rows)",
                        (self.lo, self.lo + self.V))
        out = []
        for k, kind in enumerate(self.param_kinds):
            column = [args[k] for args in calls]
            if None in column:  # a batch holds None in every element or in none
                if any(x is not None for x in column):
                    raise ArgumentError(f"argument {self.params[k]} of {self.name} is None in some calls of the batch and not in "
                                        "others; a batch passes None for every element or for none")
                out.append(None)
                continue
            if kind == "list":
                width = max(1, max(len(x) for x in column))
                values = torch.tensor([list(x) + [0] * (width - len(x)) for x in column], dtype=torch.int64)
                lengths = torch.tensor([len(x) for x in column])
            else:
                values, lengths = torch.tensor(column, dtype=torch.int64), None
            if mode != "hard":
                self._check_values(self.params[k], values, soft=False)
                values = self._one_hot(values, dtype)
            out.append((values, lengths) if kind == "list" else values)
        return out

    def decode(self, res: ExecResult, mode: str | None = None) -> list:
        """An ExecResult -> one Python result per batch element (soft and worlds mode: the most likely
        value). For a routine without a return value, the final contents of its list arguments.
        mode: the mode that produced `res` (default: read from `res`; a different one is refused)."""
        if not isinstance(res, ExecResult):
            raise ArgumentError(f"decode takes the ExecResult of {self.name}.execute, got {type(res).__name__}")
        made = _result_mode(res)
        if mode is None:
            mode = made
        if mode not in MODES:
            raise ArgumentError(f"mode must be one of {', '.join(MODES)}, got {mode!r}")
        if (mode == "hard") != (made == "hard"):
            raise ArgumentError(f"decode(res, mode={mode!r}) was given a {made}-mode result; pass mode={made!r} "
                                "or leave mode out")
        soft = mode != "hard"

        def values(row: torch.Tensor) -> list[int]:
            return (row.argmax(-1) + self.lo).tolist() if soft else row.tolist()

        B = res.steps.shape[0]
        if self.returns == "int":
            return values(res.value)
        if self.returns == "list":
            wrap = tuple if getattr(self.asm, "returns_tuple", False) else list
            return [wrap(values(res.value[b, :int(res.lengths[b])])) for b in range(B)]
        return [[values(lst[b, :int(n[b])]) for lst, n in zip(res.lists, res.list_lengths)] for b in range(B)]

    def raise_for_fault(self, res: ExecResult, b: int) -> None:
        """Raise the error that hard-mode batch element b ran into, naming the source line (`call.raise_fault`)."""
        raise_fault(self.asm, int(res.overflow_line[b]), int(res.overflow_value[b]), int(res.fault[b]), int(res.fault_line[b]),
                    res.registers[b].tolist() if res.registers is not None else None, float(res.halted[b]) >= 1,
                    int(res.steps[b]))

    # -- batched execution -----------------------------------------------------------------
    def execute(self, *args, mode: str = "hard", max_steps: int | None = None, eps: float = 1e-4, prune: float = 0.0,
                checkpoint: bool = True, segment: int = 32, trace: bool = False, top_k: int = 64) -> ExecResult:
        """Run a batch. Scalar args: [B] int64 (hard) or [B, V] distributions (soft, worlds). List
        args: (values, lengths) with values [B, L] / [B, L, V] and lengths [B] (or values alone: full
        length); worlds mode also takes (values, lengths, member) with member [B, L] the probability
        that each element belongs to the list (members keep their order). `top_k`: worlds mode's
        number of enumerated worlds per batch element. `prune` (soft mode): after every step, zero the
        instruction-pointer / stack-pointer mass below this threshold and renormalize (0 = off; exact
        at one-hot inputs; docs/machine.md, "Pruning"). Runs on the device of the inputs."""
        if mode not in MODES:
            raise ArgumentError(f"mode must be 'hard', 'soft' or 'worlds', got {mode!r}")
        if len(args) < len(self.params) and all(p in none_flags(self.asm) for p in self.params[len(args):]):
            args = tuple(args) + (None,) * (len(self.params) - len(args))  # omitted parameters with default None hold None
        if len(args) != len(self.params):
            raise TypeError(f"{self.name} takes {len(self.params)} arguments ({', '.join(self.params)}), got {len(args)}")
        if max_steps is not None:
            _check_int("max_steps", max_steps, 1, "machine steps before giving up; None for the default")
        _check_unit("eps", eps)
        _check_unit("prune", prune)
        _check_int("segment", segment, 1, "steps per checkpointed segment")
        _check_int("top_k", top_k, 1, "worlds per batch element")
        if mode == "worlds":
            from nclib.runtime.worlds import execute_worlds

            return execute_worlds(self, args, top_k=top_k, max_steps=max_steps or 1_000_000)
        soft = mode == "soft"
        parsed, B, device, dtype = self._parse(args, soft)
        layout, offset = list_layout(self.asm, [arg[0].shape[1] for kind, arg in zip(self.param_kinds, parsed) if kind == "list"])
        if soft:
            grad = torch.is_grad_enabled() and (
                any(t.requires_grad for t in (self._tensors or {}).values())
                or any((a[0] if isinstance(a, tuple) else a).requires_grad for a in parsed))
            check_soft_run(self.asm, B, dtype, device, grad=grad and checkpoint, segment=segment,
                           tables_built=device in self._tables)
            return self._execute_soft(parsed, layout, offset, B, device, dtype, max_steps or 10_000, eps, checkpoint, segment, trace,
                                      prune, self._flag_registers(args, B, device, dtype, soft))
        return self._execute_hard(parsed, layout, offset, B, device, max_steps or 1_000_000, trace,
                                  self._flag_registers(args, B, device, dtype, soft))

    def _flag_registers(self, args, B: int, device, dtype, soft: bool) -> list:
        """(register, value) of the flag of each parameter with default None: 0 where the batch
        passes None, else 1 ([B] int64, or [B, V] one-hot in soft mode)."""
        out = []
        for name, arg in zip(self.params, args):
            if name in none_flags(self.asm):
                flag = torch.full((B,), int(arg is not None), dtype=torch.int64, device=device)
                out.append((none_flags(self.asm)[name], self._one_hot(flag, dtype) if soft else flag))
        return out

    def _one_hot(self, values: torch.Tensor, dtype) -> torch.Tensor:
        return torch.nn.functional.one_hot(values - self.lo, self.V).to(dtype)

    def _parse(self, args, soft: bool):
        parsed, sizes, device, dtype = [], set(), None, torch.float32
        for name, kind, arg in zip(self.params, self.param_kinds, args):
            if arg is None and name in none_flags(self.asm):
                parsed.append(None)  # filled in below, once the batch size is known
                continue
            if kind == "list":
                if isinstance(arg, torch.Tensor):
                    arg = (arg, None)
                if not (isinstance(arg, (tuple, list)) and len(arg) == 2 and isinstance(arg[0], torch.Tensor)):
                    raise TypeError(f"argument {name} of {self.name} is a list: pass (values, lengths) tensors, got {type(arg).__name__}")
                values, lengths = arg
                want = 3 if soft else 2
                if values.dim() != want:
                    raise ValueError(f"argument {name}: list values must be {'[B, L, V]' if soft else '[B, L]'}, got shape {tuple(values.shape)}")
                if lengths is None:
                    lengths = torch.full((values.shape[0],), values.shape[1], dtype=torch.int64, device=values.device)
                lengths = torch.as_tensor(lengths, device=values.device).long()
                if lengths.shape != (values.shape[0],) or bool(((lengths < 0) | (lengths > values.shape[1])).any()):
                    raise ValueError(f"argument {name}: lengths must be [B] within [0, {values.shape[1]}], got {lengths.tolist()}")
                if values.shape[1] > self.lo + self.V - 1:
                    raise ValueRangeError(f"argument {name}: length {values.shape[1]} is outside the value window [{self.lo}, {self.lo + self.V})")
                self._check_values(name, values, soft, mask=torch.arange(values.shape[1], device=values.device)[None, :] < lengths[:, None])
                parsed.append((values, lengths))
                tensor = values
            else:
                if not isinstance(arg, torch.Tensor):
                    raise TypeError(f"argument {name} of {self.name} must be a tensor ([B] int64 for hard mode, [B, V] for soft), got {type(arg).__name__}")
                if arg.dim() != (2 if soft else 1):
                    raise ValueError(f"argument {name}: expected shape {'[B, V]' if soft else '[B]'}, got {tuple(arg.shape)}")
                self._check_values(name, arg, soft)
                parsed.append(arg)
                tensor = arg
            sizes.add(tensor.shape[0])
            device = tensor.device
            if soft:
                dtype = tensor.dtype
        if len(sizes) > 1:
            raise ValueError(f"arguments of {self.name} have different batch sizes {sorted(sizes)}")
        B = sizes.pop() if sizes else 1
        device = device or torch.device("cpu")
        for k, kind in enumerate(self.param_kinds):
            if parsed[k] is None:  # None: the value 0 (an empty list), its flag says None
                zeros = torch.zeros((B, 1) if kind == "list" else (B,), dtype=torch.int64, device=device)
                value = self._one_hot(zeros, dtype) if soft else zeros
                parsed[k] = (value, torch.zeros(B, dtype=torch.int64, device=device)) if kind == "list" else value
        return parsed, B, device, dtype

    def _check_values(self, name: str, x: torch.Tensor, soft: bool, mask: torch.Tensor | None = None) -> None:
        if soft:
            if not x.is_floating_point():
                raise TypeError(f"argument {name}: soft mode takes float distributions, got {x.dtype}")
            if x.shape[-1] != self.V:
                raise ValueError(f"argument {name}: last dimension must be V={self.V} (the window [{self.lo}, {self.lo + self.V})), got {x.shape[-1]}")
            self._check_distribution(name, x, mask)
            return
        if x.is_floating_point() or x.dtype == torch.bool:
            raise TypeError(f"argument {name}: hard mode takes integer tensors, got {x.dtype}")
        bad = (x < self.lo) | (x >= self.lo + self.V)
        if mask is not None:
            bad &= mask
        if bool(bad.any()):
            value = int(x[bad][0])
            raise ValueRangeError(f"argument {name}: value {value} is outside the value window [{self.lo}, {self.lo + self.V}) of {self.name}")

    def _check_distribution(self, name: str, x: torch.Tensor, mask: torch.Tensor | None = None) -> None:
        """Every row x[..., :] (where `mask`) must be a probability distribution: finite,
        non-negative, summing to 1 (within rounding of the dtype)."""
        x = x.detach()
        rows = torch.ones(x.shape[:-1], dtype=torch.bool, device=x.device) if mask is None else mask
        total = x.double().sum(-1)  # [...]
        tol = max(1e-3, 4 * torch.finfo(x.dtype).eps)
        problems = (("holds NaN or inf", ~torch.isfinite(x).all(-1)), ("has negative entries", (x < 0).any(-1)),
                    ("does not sum to 1", (total - 1).abs() > tol))
        for what, bad in problems:
            bad = bad & rows
            if bool(bad.any()):
                where = tuple(bad.nonzero()[0].tolist())
                at = f"[{', '.join(map(str, where))}]"
                raise ArgumentError(f"argument {name}: soft input row {at} is not a probability distribution: it {what} "
                                    f"(sum {float(total[where]):.6g}); pass one distribution over the {self.V} window values "
                                    f"per row (e.g. softmax or one_hot; prog.encode builds one-hot inputs)")

    def _execute_hard(self, parsed, layout, heap, B, device, max_steps, trace, flags=()) -> ExecResult:
        asm, R, A = self.asm, self.asm.n_regs, self.memory
        placement = place_arguments(asm.param_registers, self.param_kinds, parsed, layout, heap)
        placement.registers += flags
        state = initial_hard_state(asm, placement, B, device)
        steps_log = [] if trace else None
        state = run_hard(asm, state, max_steps, steps_log)
        halted = ((state.ip == HALT_LINE) & (state.fault != FAULT_NO_HALT)).double()  # a caught loop stopped, not halted
        lists, list_lengths = self._list_arguments(state.mem, layout, parsed)
        value = lengths = None
        if self.returns == "int":
            value = state.regs[:, RV].clone()
        elif self.returns == "list":
            addr = state.regs[:, RV].clamp(0, A - 1)
            # an element that stopped with an error before its return holds no list there: its
            # "length" is whatever the cell holds, kept inside [0, cells after addr] (found by the
            # differential fuzzer: tests/compiler/test_fuzz_regressions.py)
            lengths = torch.minimum(state.mem.gather(1, addr[:, None])[:, 0].clamp_min(0), A - 1 - addr)
            L_out = int(lengths.max()) if B else 0
            idx = (addr[:, None] + 1 + torch.arange(L_out, device=device)[None, :]).clamp(max=A - 1)
            value = state.mem.gather(1, idx)
            value = torch.where(torch.arange(L_out, device=device)[None, :] < lengths[:, None], value, 0)
        return ExecResult(value=value, steps=state.steps, halted=halted, remainder=1 - halted, lists=lists,
                          list_lengths=list_lengths, lengths=lengths,
                          fault=state.fault, fault_line=state.fault_line, overflow_line=state.overflow_line,
                          overflow_value=state.overflow_value, trace=steps_log, registers=state.regs[:, :R])

    def _list_arguments(self, mem: torch.Tensor, layout: list[int], parsed: list) -> tuple[list, list]:
        """The final cells of each list argument (mem [B, A] or [B, A, V]) and their lengths."""
        args = [arg for kind, arg in zip(self.param_kinds, parsed) if kind == "list"]
        lists = [mem[:, base + 1:base + 1 + values.shape[1]] for base, (values, _) in zip(layout, args)]
        return lists, [lengths for _, lengths in args]

    def tables(self, device: torch.device) -> SoftTables:
        if device not in self._tables:
            self._tables[device] = SoftTables(self.asm, device)
        return self._tables[device]

    def _execute_soft(self, parsed, layout, heap, B, device, dtype, max_steps, eps, use_checkpoint, segment, trace,
                      prune: float = 0.0, flags=()) -> ExecResult:
        asm, A, V, lo = self.asm, self.memory, self.V, self.lo
        prm = {k: v.to(device=device, dtype=dtype) for k, v in self.tensors.items()}
        tab = self.tables(device)
        placement = place_arguments(asm.param_registers, self.param_kinds, parsed, layout, heap)
        placement.registers += flags
        regs, mem, stack, sp, ip, ponder = initial_soft_state(asm, placement, B, device, dtype)
        steps_log = [] if trace else None
        state, _ = run_soft(asm, tab, prm, (regs, mem, stack, sp, ip, ponder), max_steps, eps, use_checkpoint, segment, steps_log,
                            prune=prune)
        regs, mem, stack, sp, ip, ponder = state
        halted = ip[:, HALT_LINE]
        faulted = ip[:, tab.groups["fault"]].sum(1) if "fault" in tab.groups else torch.zeros_like(halted)
        lists, list_lengths = self._list_arguments(mem, layout, parsed)
        value = lengths = length_probs = None
        if self.returns == "int":
            value = regs[:, RV]
        elif self.returns == "list":
            addr = regs[:, RV, -lo:-lo + A]  # [B, A]: where the returned list starts
            length_probs = kernels.soft_read(addr, mem)
            lengths = length_probs.argmax(-1) + lo
            L_out = int(lengths.clamp(0, A - 1).max()) if B else 0
            if L_out:
                shifted = torch.stack([torch.nn.functional.pad(addr, (1 + i, 0))[:, :A] for i in range(L_out)], 1)  # [B, L_out, A]
                value = kernels.soft_read(shifted, mem)
            else:
                value = mem.new_zeros(B, 0, V)
        return ExecResult(value=value, steps=ponder, halted=halted, remainder=1 - halted, lists=lists,
                          list_lengths=list_lengths, lengths=lengths,
                          length_probs=length_probs, trace=steps_log, fault=faulted)

