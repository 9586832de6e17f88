"""The reasoning module: router -> argument reader -> machine -> result writer.

At most one library call per sequence: the router looks at every position's last hidden state and
the first position where it picks a routine (instead of "no call") is the *trigger*. The reader
points at numbers written at or before the trigger, the machine runs the routine on them, and
the writer acts on the positions from the trigger on: position `trigger + c` predicts answer token
`c`, so the writer mixes token `c` of the rendered result (the "tape") into that position's
next-token distribution through a learned gate:

    p(token) = (1 - g) * softmax(lm_logits) + g * p_tape[c](token),   g = w_route * sigmoid(gate(h))

Positions where the module does not write keep their logits untouched, so a module that never
fires leaves the base model's outputs bit-identical. `w_route` is the router's probability of the
chosen routine (top-1 routing, as in Switch layers), or 1 when the call is teacher-forced.

Everything is causal (the reader only sees positions up to the trigger), which is what makes the
KV-cached generation equal the uncached one: during `generate()` the `CallState` carries the
history of hidden states, token ids and the call's result from one step to the next.

Defined fallbacks (the example gets "no call" and `status` says why): no number in the prompt for
a scalar argument or an empty list argument, a forced argument that is not a number inside the routine's value window
(numbers outside the window are never pointer candidates), a list longer than `nc_max_list_len`,
a machine run that did not halt (remainder > `nc_max_remainder`), or no `input_ids` to read from.
"""

from __future__ import annotations

import enum
import math
from dataclasses import dataclass, fields, replace

import torch
import torch.nn.functional as F
from torch import nn

from .configuration_ncllama import NCLlamaConfig
from .library import LibraryTensors
from .tokens import NumberVocab


class CallStatus(enum.IntEnum):
    """Per-example outcome of the reasoning module (`NCLlamaOutput.nc_status`)."""

    NO_CALL = 0  # the router chose "no call" (or there is no routine)
    CALLED = 1  # the routine ran and its result is written
    NO_ARGUMENT = 2  # a scalar argument had no in-window number to point at, or a list argument none
    OUT_OF_WINDOW = 3  # a forced argument was not a number inside the routine's value window
    LIST_TOO_LONG = 4  # a list argument had more than nc_max_list_len elements
    NOT_HALTED = 5  # the machine's unhalted remainder exceeded nc_max_remainder
    NO_INPUT_IDS = 6  # called with inputs_embeds only: there are no tokens to read numbers from
    FAULT = 7  # hard mode: the run faulted (index error, value left the window, step limit)


@dataclass
class NCCall:
    """A teacher-forced call (training labels, or a test that fixes routing and arguments).

    trigger: [B] column of the position that predicts the first answer token (-1: no call).
    routine: [B] index into `config.nc_routines` (-1: no call).
    args: [B, n_args, L] columns of the last token of each argument's numbers (-1 padded); a scalar
        argument uses slot 0, a list argument slots 0..len-1 in order. None: the reader points.
    """

    trigger: torch.Tensor
    routine: torch.Tensor
    args: torch.Tensor | None = None


@dataclass
class CallState:
    """What generation carries between steps (all [B, ...]); also returned by a plain forward."""

    hidden: torch.Tensor  # [B, T, H] last hidden states seen so far
    ids: torch.Tensor  # [B, T] token ids (-1 where unknown)
    valid: torch.Tensor  # [B, T] bool, False for padding
    trigger: torch.Tensor  # [B] column of the trigger, -1 until the module fires
    routine: torch.Tensor  # [B]
    weight: torch.Tensor  # [B] w_route
    status: torch.Tensor  # [B] CallStatus
    steps: torch.Tensor  # [B] machine steps
    remainder: torch.Tensor  # [B] unhalted mass
    tape: torch.Tensor  # [B, K, C] distribution over the writer's candidate tokens per answer slot
    tape_len: torch.Tensor  # [B]
    values: torch.Tensor  # [B, Lmax, Vmax] the machine's output (value-head writer; [B, 0, 0] otherwise)
    kept: torch.Tensor  # [B] bool: the token after the trigger confirmed the call (or it was forced)
    not_before: torch.Tensor  # [B] first column where the router may fire (after a dropped call)
    args: list  # per example the routine's arguments as Python values, or None (no call)

    def index_select(self, index: torch.Tensor) -> "CallState":
        """Reorder/expand along the batch (beam search)."""
        picked = {f.name: getattr(self, f.name).index_select(0, index) for f in fields(self) if f.name != "args"}
        return replace(self, **picked, args=[self.args[i] for i in index.tolist()])


@dataclass
class WritePlan:
    """Where and how the module writes, for the new positions of one forward call."""

    mask: torch.Tensor  # [B, T] bool: positions written
    gate: torch.Tensor  # [B, T] g (0 where not written)
    tape_rows: torch.Tensor | None  # [B, T, C] tape distribution at each written position
    hidden_delta: torch.Tensor | None  # [B, T, H] value-head writer's addition to the hidden state


def _st_one(x: torch.Tensor) -> torch.Tensor:
    """Straight-through 1: forward value exactly 1, gradient that of x."""
    return x - x.detach() + 1.0


class NCRouter(nn.Module):
    """Logits over ["no call", routine_0, ...] from the hidden state, the mean of the hidden states up
    to it (what the prompt is about, whatever its length) and a learned score for the current and
    the previous token (lexical: "the prompt ended with '= '" reads the same at any length).
    Starts closed (zero weights and token scores, "no call" bias)."""

    def __init__(self, config: NCLlamaConfig):
        super().__init__()
        n_out = len(config.nc_routines) + 1
        self.proj = nn.Linear(2 * config.hidden_size, n_out)
        self.token = nn.Embedding(config.vocab_size + 1, n_out)  # row vocab_size: unknown / no token
        self.prev_token = nn.Embedding(config.vocab_size + 1, n_out)
        self.vocab_size = config.vocab_size
        self.no_call_bias = config.nc_router_no_call_bias

    def reset_parameters(self):
        nn.init.zeros_(self.proj.weight)
        nn.init.zeros_(self.proj.bias)
        nn.init.zeros_(self.token.weight)
        nn.init.zeros_(self.prev_token.weight)
        with torch.no_grad():
            self.proj.bias[0] = self.no_call_bias

    def forward(self, hidden: torch.Tensor, prefix_mean: torch.Tensor, ids: torch.Tensor, prev_ids: torch.Tensor) -> torch.Tensor:
        """hidden, prefix_mean: [B, T, H]; ids, prev_ids: [B, T] (-1: unknown) -> [B, T, R + 1]."""
        def rows(t):
            return torch.where((t >= 0) & (t < self.vocab_size), t, self.vocab_size)

        lexical = self.token(rows(ids)) + self.prev_token(rows(prev_ids))
        return self.proj(torch.cat([hidden, prefix_mean], -1)) + lexical.to(hidden.dtype)


class NCReader(nn.Module):
    """Pointer attention from the trigger's hidden state to number positions, one query per
    (routine, argument) slot, plus a learned score per ordinal position of the candidate (k-th
    number from the start, k-th from the end, the last ORDINALS - 1 buckets shared): "the first
    number" stays the first number however long the numbers are. Scalar arguments: softmax over
    candidates. List arguments: each candidate is a member when its score + bias > 0, elements in
    text order."""

    ORDINALS = 8

    def __init__(self, config: NCLlamaConfig):
        super().__init__()
        self.n_routines = len(config.nc_routines)
        self.n_args = config.nc_max_args
        self.dim = config.nc_pointer_dim
        self.key = nn.Linear(config.hidden_size, self.dim, bias=False)
        self.query = nn.Linear(config.hidden_size, max(self.n_routines, 1) * self.n_args * self.dim)
        self.list_bias = nn.Parameter(torch.zeros(max(self.n_routines, 1) * self.n_args))
        self.ordinal_first = nn.Parameter(torch.zeros(max(self.n_routines, 1) * self.n_args, self.ORDINALS))
        self.ordinal_last = nn.Parameter(torch.zeros(max(self.n_routines, 1) * self.n_args, self.ORDINALS))
        self.std = config.initializer_range

    def reset_parameters(self):
        nn.init.normal_(self.key.weight, std=self.std)
        nn.init.normal_(self.query.weight, std=self.std)
        nn.init.zeros_(self.query.bias)
        nn.init.zeros_(self.list_bias)
        nn.init.zeros_(self.ordinal_first)
        nn.init.zeros_(self.ordinal_last)

    def scores(self, h_trigger: torch.Tensor, hidden: torch.Tensor, routine: int, arg: int, candidates: torch.Tensor):
        """h_trigger: [n, H]; hidden: [n, T, H]; candidates: [n, T] bool -> (scores [n, T], list bias [])."""
        slot = routine * self.n_args + arg
        q = self.query(h_trigger).view(-1, max(self.n_routines, 1) * self.n_args, self.dim)[:, slot]  # [n, d]
        k = self.key(hidden)  # [n, T, d]
        scores = torch.einsum("nd,ntd->nt", q, k) / math.sqrt(self.dim)
        first = candidates.long().cumsum(1) - 1  # [n, T] rank among the candidates, from the start
        last = candidates.long().sum(1, keepdim=True) - 1 - first  # from the end
        K = self.ORDINALS - 1
        ordinal = self.ordinal_first[slot][first.clamp(0, K)] + self.ordinal_last[slot][last.clamp(0, K)]
        return scores + ordinal.to(scores.dtype) * candidates, self.list_bias[slot]


class NCWriter(nn.Module):
    """The learned gate g of the tape writer (open at init: weights 0, bias nc_writer_gate_bias),
    and for the value-head variant the projection of the machine's output into the hidden state."""

    def __init__(self, config: NCLlamaConfig, max_V: int):
        super().__init__()
        self.gate = nn.Linear(config.hidden_size, 1)
        self.gate_bias = config.nc_writer_gate_bias
        self.kind = config.nc_writer
        self.std = config.initializer_range
        if self.kind == "value_head":
            self.value_proj = nn.Linear(config.nc_max_list_len * max_V, config.hidden_size, bias=False)
            self.cursor = nn.Embedding(config.nc_max_answer_tokens, config.hidden_size)

    def reset_parameters(self):
        nn.init.zeros_(self.gate.weight)
        nn.init.constant_(self.gate.bias, self.gate_bias)
        if self.kind == "value_head":
            nn.init.normal_(self.value_proj.weight, std=self.std)
            nn.init.normal_(self.cursor.weight, std=self.std)


class ReasoningModule(nn.Module):
    """Router, reader, library (with the machine) and writer; see the module docstring."""

    def __init__(self, config: NCLlamaConfig):
        super().__init__()
        self.config = config
        self.routines = list(config.nc_routines)
        self.vocab = NumberVocab.from_config(config)
        self.max_V = max([r["V"] for r in self.routines] + [1])
        self.router = NCRouter(config)
        self.reader = NCReader(config)
        self.writer = NCWriter(config, self.max_V)
        self.library = LibraryTensors(config)
        if self.routines and not self.vocab.usable:
            raise ValueError("a config with routines needs the number-token fields (nc_number_tokens); "
                             "build it with NCLlamaForCausalLM.from_base(..., tokenizer=...)")
        self._render = {}  # (lo, V) -> (table [V, D], lengths [V])

    def reset_parameters(self):
        for m in (self.router, self.reader, self.writer):
            m.reset_parameters()

    def routine_index(self, name: str) -> int:
        names = [r["name"] for r in self.routines]
        if name not in names:
            raise KeyError(f"no routine {name!r} in the library; routines: {names}")
        return names.index(name)

    def make_call(self, input_ids: torch.Tensor, routines, args, trigger=None, attention_mask=None) -> NCCall:
        """Build a teacher-forced `NCCall` from the prompt's numbers.

        input_ids: [B, T]; routines: per example a routine name or index (None: no call);
        args: per example a list with, for each argument, the indices (into the numbers of that
        prompt, in text order) of the numbers it takes: [[0], [1]] for add(a, b), [[0, 1, 2, 3]] for
        a list of four; trigger: per example a column, default the last non-padding column.
        """
        B, T = input_ids.shape
        valid = attention_mask.bool() if attention_mask is not None else torch.ones(B, T, dtype=torch.bool)
        _, is_end, _ = self.vocab.read_numbers(input_ids, valid)
        n_args, L = self.config.nc_max_args, self.config.nc_max_list_len
        out = torch.full((B, n_args, L), -1, dtype=torch.long)
        rout = torch.full((B,), -1, dtype=torch.long)
        trig = torch.full((B,), -1, dtype=torch.long)
        for b in range(B):
            r = routines[b]
            if r is None:
                continue
            rout[b] = self.routine_index(r) if isinstance(r, str) else int(r)
            ends = is_end[b].nonzero()[:, 0].tolist()
            for j, idx in enumerate(args[b]):
                if len(idx) > L:
                    raise ValueError(f"example {b}, argument {j}: {len(idx)} numbers exceed nc_max_list_len={L}")
                bad = [i for i in idx if not 0 <= i < len(ends)]
                if bad:
                    raise ValueError(f"example {b}, argument {j}: number indices {bad} out of range; the prompt has {len(ends)} numbers")
                out[b, j, : len(idx)] = torch.tensor([ends[i] for i in idx], dtype=torch.long)
            last = int(valid[b].nonzero()[-1, 0]) if bool(valid[b].any()) else T - 1
            trig[b] = last if trigger is None else int(trigger[b])
        dev = input_ids.device
        return NCCall(trigger=trig.to(dev), routine=rout.to(dev), args=out.to(dev))

    # --- state ------------------------------------------------------------------------------

    def empty_state(self, B: int, H: int, device, dtype) -> CallState:
        C = len(self.vocab.candidate_ids)
        K = self.config.nc_max_answer_tokens
        z = torch.zeros(B, dtype=torch.long, device=device)
        return CallState(
            hidden=torch.zeros(B, 0, H, device=device, dtype=dtype),
            ids=torch.zeros(B, 0, dtype=torch.long, device=device),
            valid=torch.zeros(B, 0, dtype=torch.bool, device=device),
            trigger=z - 1, routine=z - 1, weight=torch.zeros(B, device=device),
            status=z.clone(), steps=z.clone(), remainder=torch.zeros(B, device=device),
            tape=torch.zeros(B, K, C, device=device), tape_len=z.clone(),
            values=torch.zeros(B, self.config.nc_max_list_len, self.max_V, device=device) if self.config.nc_writer == "value_head"
            else torch.zeros(B, 0, 0, device=device),
            kept=torch.zeros(B, dtype=torch.bool, device=device), not_before=z.clone(),
            args=[None] * B,
        )

    # --- forward ----------------------------------------------------------------------------

    def forward(self, hidden, input_ids, valid, start_col: int, call: NCCall | None = None,
                state: CallState | None = None, keep_history: bool = True):
        """hidden: [B, T, H] last hidden states of the new columns start_col..start_col+T-1;
        input_ids: [B, T] or None; valid: [B, T] bool.

        Returns (WritePlan, CallState, aux losses dict). Only the new columns are written.
        """
        B, T, H = hidden.shape
        dev = hidden.device
        if state is None:
            state = self.empty_state(B, H, dev, hidden.dtype)
        ids = input_ids if input_ids is not None else torch.full((B, T), -1, dtype=torch.long, device=dev)
        all_hidden = torch.cat([state.hidden, hidden], 1)  # [B, T_all, H]
        all_ids = torch.cat([state.ids, ids], 1)
        all_valid = torch.cat([state.valid, valid], 1)
        cols = torch.arange(start_col, start_col + T, device=dev)  # [T]
        wdtype = self.router.proj.weight.dtype  # the module may be cast (bf16) with the backbone
        hf = hidden.to(wdtype)
        aux = {}
        st = replace(state, args=list(state.args))

        # running mean of the (valid) hidden states up to each new column: history included, so the
        # cached generation sees the same value as one forward over the whole sequence
        vmask = all_valid.to(wdtype)[..., None]  # [B, T_all, 1]
        prefix_mean = ((all_hidden.to(wdtype) * vmask).cumsum(1) / vmask.cumsum(1).clamp_min(1.0))[:, -T:]  # [B, T, H]
        prev_ids = torch.cat([torch.full((B, 1), -1, dtype=torch.long, device=dev), all_ids], 1)[:, -T - 1:-1]  # [B, T]
        router_logits = self.router(hf, prefix_mean, ids, prev_ids).float()  # [B, T, R + 1]
        no_ids = input_ids is None and state.ids.numel() == 0
        if call is not None:
            aux["router"] = self._router_loss(router_logits, valid, cols, call)
            fires = (call.trigger >= start_col) & (call.trigger < start_col + T) & (call.routine >= 0)
            fires = fires & (st.trigger < 0) & bool(self.routines)
            if bool(fires.any()):
                st.trigger = torch.where(fires, call.trigger, st.trigger)
                st.routine = torch.where(fires, call.routine, st.routine)
                st.weight = torch.where(fires, torch.ones(B, device=dev), st.weight)
                st.kept = st.kept | fires
                self._call(st, fires, all_hidden, all_ids, all_valid, call, aux, no_ids)
        elif self.routines:
            self._route(st, router_logits, ids, valid, start_col, all_hidden, all_ids, all_valid, aux, no_ids)
        if "_remainders" in aux:  # soft runs of this forward (one per routine and firing round)
            aux["remainder"] = torch.cat(aux.pop("_remainders")).mean()
        if keep_history:
            st.hidden, st.ids, st.valid = all_hidden, all_ids, all_valid
        else:
            st.hidden, st.ids, st.valid = state.hidden, state.ids, state.valid
        return self._plan(st, hidden, hf, cols), st, aux

    def _route(self, st: CallState, router_logits, ids, valid, start_col, all_hidden, all_ids, all_valid, aux, no_ids) -> None:
        """Unforced routing over the new columns. The first column where the router picks a routine
        fires a call; once the token after the trigger is known (the next input), the call is kept
        only if it ran and wrote that token as its first answer token. Otherwise (it fired inside
        the prompt, e.g. at "?" of "...? Answer:", or fell back) it is dropped and the router may
        fire again from the next column. Everything uses inputs up to the current column only, so
        one forward over a sequence and token-by-token generation make the same calls."""
        B, T = ids.shape
        dev = ids.device
        rows = torch.arange(B, device=dev)
        choice = router_logits.argmax(-1)  # [B, T]
        cols = torch.arange(start_col, start_col + T, device=dev)
        for _ in range(T + 1):
            self._check_pending(st, ids, valid, start_col)
            firing = (choice > 0) & valid & (cols[None] >= st.not_before[:, None]) & (st.trigger < 0)[:, None]
            if not bool(firing.any()):
                return
            first = torch.where(firing.any(1), firing.float().argmax(1), -1)  # [B]
            fires = first >= 0
            at = first.clamp_min(0)
            routine = choice[rows, at] - 1
            probs = router_logits[rows, at].softmax(-1)  # [B, R + 1]
            st.trigger = torch.where(fires, start_col + first, st.trigger)
            st.routine = torch.where(fires, routine, st.routine)
            st.weight = torch.where(fires, probs.gather(1, (routine + 1).clamp_min(0)[:, None])[:, 0], st.weight)
            st.status = torch.where(fires, int(CallStatus.NO_CALL), st.status)
            self._call(st, fires, all_hidden, all_ids, all_valid, None, aux, no_ids)
        self._check_pending(st, ids, valid, start_col)

    def _check_pending(self, st: CallState, ids, valid, start_col: int) -> None:
        """Keep or drop calls whose next token is among the new columns (see `_route`)."""
        B, T = ids.shape
        nxt = st.trigger + 1 - start_col  # [B] column of the token after the trigger
        pending = (st.trigger >= 0) & ~st.kept & (nxt >= 0) & (nxt < T)
        if not bool(pending.any()):
            return
        next_id = ids.gather(1, nxt.clamp(0, T - 1)[:, None])[:, 0]
        # padding is not a next token, and without token ids (inputs_embeds only) there is nothing to check
        pending = pending & (next_id >= 0) & valid.gather(1, nxt.clamp(0, T - 1)[:, None])[:, 0]
        if not bool(pending.any()):
            return
        written = self.vocab.candidate_ids.to(ids.device)[st.tape[:, 0].argmax(-1)]
        ok = (st.status == int(CallStatus.CALLED)) & (st.tape_len > 0) & (written == next_id)
        st.kept = st.kept | (pending & ok)
        drop = pending & ~ok
        if bool(drop.any()):
            st.not_before = torch.where(drop, st.trigger + 1, st.not_before)
            st.trigger = torch.where(drop, -1, st.trigger)
            st.routine = torch.where(drop, -1, st.routine)
            st.weight = torch.where(drop, 0.0, st.weight)
            st.status = torch.where(drop, int(CallStatus.NO_CALL), st.status)
            st.tape_len = torch.where(drop, 0, st.tape_len)
            st.args = [None if d else a for d, a in zip(drop.tolist(), st.args)]

    def _router_loss(self, logits, valid, cols, call: NCCall):
        """CE toward "no call" at the valid positions before the trigger (averaged) plus CE toward
        the routine at the trigger (averaged over the examples that call): balanced, so the one
        trigger position is not outweighed by the many positions before it."""
        trig = call.trigger[:, None]
        calls = call.routine[:, None] >= 0
        at_trigger = (cols[None] == trig) & calls & valid
        before = valid & ((cols[None] < trig) | ~calls)
        loss = logits.sum() * 0.0
        if bool(before.any()):
            loss = loss + F.cross_entropy(logits[before].float(), torch.zeros(int(before.sum()), dtype=torch.long, device=logits.device))
        if bool(at_trigger.any()):
            target = (call.routine[:, None] + 1).expand_as(at_trigger)[at_trigger]
            loss = loss + F.cross_entropy(logits[at_trigger].float(), target)
        return loss

    def _call(self, st: CallState, fires, all_hidden, all_ids, all_valid, call, aux, no_ids: bool):
        """Read arguments, run the machine and build the tape for the examples in `fires`."""
        B, T_all, _ = all_hidden.shape
        dev = all_hidden.device
        col = torch.arange(T_all, device=dev)
        if no_ids:
            st.status = torch.where(fires, int(CallStatus.NO_INPUT_IDS), st.status)
            return
        hard = self.config.nc_machine_mode == "hard"
        upto = all_valid & (col[None] <= st.trigger[:, None])  # causal: only up to the trigger
        value, is_end, overflow = self.vocab.read_numbers(all_ids, upto)
        reader_losses = []
        for r, spec in enumerate(self.routines):
            rows = (fires & (st.routine == r)).nonzero()[:, 0]
            if rows.numel() == 0:
                continue
            lo, V = spec["lo"], spec["V"]
            h_all = all_hidden[rows].to(self.router.proj.weight.dtype)  # [n, T_all, H]
            h_trig = h_all[torch.arange(rows.numel(), device=dev), st.trigger[rows]]  # [n, H]
            val, end, ovf = value[rows], is_end[rows], overflow[rows]
            in_window = end & ~ovf & (val >= lo) & (val < lo + V)  # [n, T_all] pointer candidates
            onehot_idx = (val - lo).clamp(0, V - 1)
            status = torch.full((rows.numel(),), int(CallStatus.CALLED), device=dev)
            args = []
            for j, kind in enumerate(spec["args"]):
                scores, list_bias = self.reader.scores(h_trig, h_all, r, j, in_window)  # [n, T_all]
                scores, list_bias = scores.float(), list_bias.float()  # pointer and machine run in float32
                masked = scores.masked_fill(~in_window, float("-inf"))
                forced = call.args[rows, j] if call is not None and call.args is not None else None  # [n, L]
                if kind == "int":
                    if forced is not None:
                        pos = forced[:, 0]
                        ok = (pos >= 0) & in_window.gather(1, pos.clamp_min(0)[:, None])[:, 0]
                        status = torch.where(ok, status, int(CallStatus.OUT_OF_WINDOW))
                        if bool(ok.any()):
                            reader_losses.append(F.cross_entropy(masked[ok], pos[ok]))
                        w = F.one_hot(pos.clamp_min(0), T_all).float() * ok[:, None]
                    elif hard:
                        has = in_window.any(1)
                        status = torch.where(has, status, int(CallStatus.NO_ARGUMENT))
                        pos = masked.argmax(1)  # [n]
                        w = F.one_hot(pos, T_all).float() * has[:, None]
                    else:
                        has = in_window.any(1)
                        status = torch.where(has, status, int(CallStatus.NO_ARGUMENT))
                        # rows without a candidate get finite logits first: a softmax of all -inf is NaN,
                        # and NaN * 0 in its backward would poison the reader's gradient
                        safe = torch.where(has[:, None], masked, torch.zeros_like(masked))
                        w = safe.softmax(-1) * has[:, None]
                    if hard:
                        args.append(val.gather(1, w.argmax(1, keepdim=True))[:, 0])  # [n] the pointed-at number
                    else:
                        dist = torch.zeros(rows.numel(), V, device=dev).scatter_add(1, onehot_idx, w * in_window)  # [n, V]
                        args.append(dist)
                else:
                    L = self.config.nc_max_list_len
                    member_logit = scores + list_bias  # [n, T_all]
                    if forced is not None:
                        member = torch.zeros_like(in_window)
                        okpos = forced >= 0
                        member.scatter_(1, forced.clamp_min(0), okpos)
                        member &= upto[rows]
                        bad = (member & ~in_window).any(1) | (okpos.sum(1) != member.sum(1))
                        status = torch.where(bad, int(CallStatus.OUT_OF_WINDOW), status)
                        good = ~bad
                        if bool(good.any()):
                            cand = in_window[good]
                            reader_losses.append(F.binary_cross_entropy_with_logits(
                                member_logit[good][cand], member[good][cand].float()))
                    else:
                        member = (member_logit > 0) & in_window
                    lengths = member.sum(1)
                    status = torch.where(lengths > L, int(CallStatus.LIST_TOO_LONG), status)
                    status = torch.where(lengths == 0, int(CallStatus.NO_ARGUMENT), status)
                    # element k = the k-th member in text order
                    order = torch.where(member, col[None], T_all).sort(1).values[:, :L]  # [n, L]
                    present = order < T_all
                    at = order.clamp(max=T_all - 1)
                    if hard:
                        ints = torch.where(present, val.gather(1, at), 0)  # [n, L'] numbers in text order
                        args.append((F.pad(ints, (0, max(0, L - ints.shape[1]))), lengths.clamp(max=L)))
                        continue
                    # straight-through 1 so the membership scores get a gradient through the machine;
                    # a forced list is exact (the reader learns from its BCE), so no graph through the run
                    factor = torch.ones_like(at, dtype=member_logit.dtype) if forced is not None else \
                        _st_one(torch.sigmoid(member_logit.gather(1, at)))  # [n, L]
                    oh = F.one_hot(onehot_idx.gather(1, at), V).float()  # [n, L, V]
                    values = oh * (factor * present)[..., None]
                    if values.shape[1] < L:
                        values = F.pad(values, (0, 0, 0, L - values.shape[1]))
                    args.append((values, lengths.clamp(max=L)))
            run = status == int(CallStatus.CALLED)
            if hard and bool(run.any()):
                self._run_hard(r, spec, rows, run, args, status, st, aux)
            elif bool(run.any()):
                res = self.library.execute(r, [a[run] if torch.is_tensor(a) else (a[0][run], a[1][run]) for a in args],
                                           max_steps=self.config.nc_max_steps, eps=self.config.nc_halt_eps)
                remainder = res["remainder"].float()
                sub = run.nonzero()[:, 0]
                status[sub] = torch.where(remainder > self.config.nc_max_remainder, int(CallStatus.NOT_HALTED), status[sub])
                tape, tape_len = self._render_tape(spec, res["value"], res.get("lengths"))
                vals = res["value"] if res["value"].dim() == 3 else res["value"][:, None]
                ok_rows = rows[sub]
                st.steps = st.steps.index_put((ok_rows,), res["steps"].long())
                st.remainder = st.remainder.index_put((ok_rows,), remainder)
                st.tape = st.tape.index_put((ok_rows,), tape)
                st.tape_len = st.tape_len.index_put((ok_rows,), tape_len)
                if self.config.nc_writer == "value_head":
                    padded = F.pad(vals.float(), (0, self.max_V - V, 0, self.config.nc_max_list_len - vals.shape[1]))
                    st.values = st.values.index_put((ok_rows,), padded)
                for i, b in enumerate(ok_rows.tolist()):  # the most likely arguments, for inspection
                    st.args[b] = [(a[i].argmax(-1) + lo).item() if torch.is_tensor(a) else
                                  (a[0][i, : int(a[1][i])].argmax(-1) + lo).tolist() for a in (x[run] if torch.is_tensor(x) else (x[0][run], x[1][run]) for x in args)]
                aux.setdefault("_remainders", []).append(remainder)
            st.status = st.status.index_put((rows,), status)
        if reader_losses:
            aux["reader"] = torch.stack(reader_losses).mean()


    def _run_hard(self, r: int, spec, rows, run, args, status, st: CallState, aux) -> None:
        """Hard mode: run routine r exactly on the int arguments of the rows in `run` and write
        their tapes (one-hot rows). A fault (index error, value outside the window, step limit)
        makes the example fall back to "no call" with status FAULT."""
        sub = run.nonzero()[:, 0]
        picked = [a[sub] if torch.is_tensor(a) else (a[0][sub], a[1][sub]) for a in args]
        res = self.library.execute_hard(r, picked, max_steps=self.config.nc_max_steps)
        ok_rows = rows[sub]
        faulted = res["fault"]
        status[sub] = torch.where(faulted, int(CallStatus.FAULT), status[sub])
        C = len(self.vocab.candidate_ids)
        K = self.config.nc_max_answer_tokens
        tape = torch.zeros(sub.numel(), K, C, device=st.tape.device)
        tape_len = torch.zeros(sub.numel(), dtype=torch.long, device=st.tape.device)
        values, lengths = res["value"].tolist(), res["lengths"].tolist()
        for i in range(sub.numel()):
            if bool(faulted[i]):
                continue
            elems = values[i][: lengths[i]] if isinstance(values[i], list) else [values[i]]
            ids = []
            for k, v in enumerate(elems):
                ids += (self.vocab.separator_ids if k else []) + self.vocab.render_value(v, spec["lo"], spec.get("labels"))
            ids = (ids + self.vocab.end_ids)[:K]
            tape[i, torch.arange(len(ids)), torch.tensor([self.vocab.candidate_index[t] for t in ids], dtype=torch.long)] = 1.0
            tape_len[i] = len(ids)
        st.steps = st.steps.index_put((ok_rows,), res["steps"].long())
        st.remainder = st.remainder.index_put((ok_rows,), (~res["halted"]).float())
        st.tape = st.tape.index_put((ok_rows,), tape)
        st.tape_len = st.tape_len.index_put((ok_rows,), tape_len)
        py_args = [a.tolist() if torch.is_tensor(a) else [row[:n] for row, n in zip(a[0].tolist(), a[1].tolist())] for a in picked]
        for i, b in enumerate(ok_rows.tolist()):
            st.args[b] = [col[i] for col in py_args]

    def _render_table(self, lo: int, V: int, device, labels=None):
        key = (lo, V, repr(labels))
        if key not in self._render:
            self._render[key] = self.vocab.render_table(lo, V, labels)
        table, lengths = self._render[key]
        return table.to(device), lengths.to(device)

    def _render_tape(self, spec, value: torch.Tensor, lengths: torch.Tensor | None):
        """The machine's output -> (tape [n, K, C], tape_len [n]).

        Each element's slots are laid out by the render length of its most likely value; slot d
        of an element holds sum_v p(v) [render(v)[d] = token]. Exact for one-hot outputs; for soft
        outputs, mass on values with a different render length is dropped (a mean-field choice).
        """
        dev = value.device
        C = len(self.vocab.candidate_ids)
        K = self.config.nc_max_answer_tokens
        table, rlen = self._render_table(spec["lo"], spec["V"], dev, spec.get("labels"))  # [V, D], [V]
        if value.dim() == 2:
            value = value[:, None]  # [n, 1, V]
            lengths = torch.ones(value.shape[0], dtype=torch.long, device=dev)
        n, L, V = value.shape
        D = table.shape[1]
        idx = torch.where(table >= 0, table, C).t()  # [D, V], C is a dump column
        elem = torch.zeros(n, L, D, C + 1, device=dev, dtype=value.dtype)
        elem.scatter_add_(3, idx[None, None].expand(n, L, D, V), value.unsqueeze(2).expand(n, L, D, V))
        elem = elem[..., :C].reshape(n, L * D, C)
        hard_len = rlen[value.argmax(-1)]  # [n, L]
        sep = [self.vocab.candidate_index[t] for t in self.vocab.separator_ids]
        end = [self.vocab.candidate_index[t] for t in self.vocab.end_ids]
        # Layout: per example a list of source rows, index < L*D = element slot, else a fixed token.
        fixed = torch.zeros(C, C, device=dev, dtype=value.dtype)
        fixed.diagonal().fill_(1.0)
        src = torch.cat([elem, fixed[None].expand(n, C, C)], 1)  # [n, L*D + C, C]
        layout = torch.full((n, K), 0, dtype=torch.long, device=dev)
        tape_len = torch.zeros(n, dtype=torch.long, device=dev)
        hard_len_l, lengths_l = hard_len.tolist(), lengths.tolist()
        for b in range(n):
            rows = []
            for i in range(min(int(lengths_l[b]), L)):
                if i:
                    rows += [L * D + s for s in sep]
                rows += [i * D + d for d in range(hard_len_l[b][i])]
            rows += [L * D + e for e in end]
            rows = rows[:K]
            layout[b, : len(rows)] = torch.tensor(rows, dtype=torch.long)
            tape_len[b] = len(rows)
        tape = src.gather(1, layout[..., None].expand(n, K, C))  # [n, K, C]
        return tape, tape_len

    def _plan(self, st: CallState, hidden, hf, cols) -> WritePlan:
        B, T, H = hidden.shape
        c = cols[None] - st.trigger[:, None]  # [B, T] answer slot
        active = (st.status == int(CallStatus.CALLED))[:, None] & (st.trigger[:, None] >= 0) & (c >= 0)
        if self.config.nc_writer == "tape":
            mask = active & (c < st.tape_len[:, None])
        else:
            mask = active & (c < self.config.nc_max_answer_tokens)
        if not bool(mask.any()):
            return WritePlan(mask, torch.zeros(B, T, device=hidden.device), None, None)
        gate = st.weight[:, None] * torch.sigmoid(self.writer.gate(hf).float())[..., 0] * mask  # [B, T]
        cc = c.clamp(0, self.config.nc_max_answer_tokens - 1)
        if self.config.nc_writer == "tape":
            rows = st.tape.gather(1, cc[..., None].expand(B, T, st.tape.shape[-1]))  # [B, T, C]
            return WritePlan(mask, gate, rows, None)
        delta = self.writer.value_proj(st.values.flatten(1).to(hf.dtype))[:, None] + self.writer.cursor(cc)  # [B, T, H]
        return WritePlan(mask, gate, None, (gate[..., None] * delta).to(hidden.dtype))

    def mix_logits(self, logits: torch.Tensor, plan: WritePlan) -> torch.Tensor:
        """logits: [B, T, vocab] -> same, with the tape mixed in at the written positions."""
        if plan.tape_rows is None or not bool(plan.mask.any()):
            return logits
        m = plan.mask
        lm = logits[m].float()  # [N, vocab]
        g = plan.gate[m][:, None]  # [N, 1]
        tape = torch.zeros_like(lm).index_add(1, self.vocab.candidate_ids.to(lm.device), plan.tape_rows[m].float())
        mixed = torch.log(((1 - g) * lm.softmax(-1) + g * tape).clamp_min(1e-30))
        out = logits.clone() if logits.dtype == mixed.dtype else logits.float()
        out[m] = mixed
        return out


__all__ = ["CallStatus", "CallState", "NCCall", "NCRouter", "NCReader", "NCWriter", "ReasoningModule", "WritePlan"]
