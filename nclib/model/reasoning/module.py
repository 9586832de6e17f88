"""The reasoning module: route -> read -> execute -> render -> plan.

At most one library call per sequence: the router looks at every position's last hidden state and
the first position where it picks a routine (instead of "no call") is the *trigger*. The reader
points at numbers written at or before the trigger, the machine runs the routine on them, and
the writer acts on the positions from the trigger on: position `trigger + c` predicts answer token
`c`. The call's result is a set of worlds (token tapes with probability masses m_k; hard mode has
one world of mass 1); at slot c only the worlds whose tape agrees with the tokens already written
after the trigger keep their mass, so

    p(token) = (1 - g M_c) * softmax(lm_logits) + g * sum_k m_k [prefix_k agrees] [tape_k[c] = token],

with M_c the agreeing mass and g = w_route * sigmoid(gate(h)). Over a whole answer this is the
exact marginal likelihood of the answer under the worlds when g = 1. Soft mode writes a
distribution per slot instead (mass 1). Positions where the module does not write keep their
logits untouched, so a module that never fires leaves the base model's outputs bit-identical.
`w_route` is the router's probability of the chosen routine, or 1 when the call is teacher-forced
(answers-only training teacher-forces only the trigger, the prompt's end: every routine runs and
its worlds carry the router's probability of that routine).

Everything is causal (the reader only sees positions up to the trigger), which is what makes the
KV-cached generation equal the uncached one: during `generate()` the `CallState` carries the
history of hidden states, token ids and the call's result from one step to the next.

Defined fallbacks (the example gets "no call" and `status` says why): no number in the prompt for
a scalar argument or an empty list argument, a forced argument that is not a number inside the
routine's value window (numbers outside the window are never pointer candidates), a list longer
than `nc_max_list_len`, a soft run that did not halt (remainder > `nc_max_remainder`), a hard run
(every world of a worlds run) that faulted, or no `input_ids` to read from.
"""

from __future__ import annotations

from dataclasses import replace

import torch
import torch.nn.functional as F
from torch import nn

from ..configuration_ncllama import MachineMode, NCLlamaConfig, WriterKind
from ..library import LibraryTensors
from ..tokens import NumberVocab
from .execute import CallResult, run_hard, run_soft, run_worlds
from .reader import NCReader, read_arguments
from .router import NCRouter, router_loss
from .state import CallState, CallStatus, NCCall, WritePlan, take_rows
from .writer import NCWriter, plan_writes


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
        self._render = {}  # (lo, V, labels) -> (table [V, D], lengths [V])

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
        """The state a sequence starts from; the machine mode is decided here, once, from the config."""
        C = len(self.vocab.candidate_ids)
        K = self.config.nc_max_answer_tokens
        z = torch.zeros(B, dtype=torch.long, device=device)
        mode = MachineMode(self.config.nc_machine_mode)
        W = {MachineMode.SOFT: 0, MachineMode.HARD: 1,
             MachineMode.WORLDS: self.config.nc_worlds_top_k * max(1, len(self.routines))}[mode]  # world slots
        return CallState(
            mode=mode,
            hidden=torch.zeros(B, 0, H, device=device, dtype=dtype),
            ids=torch.zeros(B, 0, dtype=torch.long, device=device),
            valid=torch.zeros(B, 0, dtype=torch.bool, device=device),
            trigger=z - 1, routine=z - 1, weight=torch.zeros(B, device=device),
            status=z.clone(), steps=z.clone(), remainder=torch.zeros(B, device=device),
            tape=torch.zeros(B, K if mode is MachineMode.SOFT else 0, C, device=device),
            world_tokens=torch.full((B, W, K), -1, dtype=torch.long, device=device),
            world_mass=torch.zeros(B, W, device=device), tape_len=z.clone(),
            values=torch.zeros(B, self.config.nc_max_list_len, self.max_V, device=device) if self.writer.kind is WriterKind.VALUE_HEAD
            else torch.zeros(B, 0, 0, device=device),
            fired=z.clone(), kept=torch.zeros(B, dtype=torch.bool, device=device), not_before=z.clone(),
            args=[None] * B,
            route_hidden=torch.zeros(B, 0, H, device=device, dtype=dtype) if self.config.nc_router_layer is not None else None,
        )

    # --- forward ----------------------------------------------------------------------------

    def forward(self, hidden, input_ids, valid, start_col: int, call: NCCall | None = None,
                state: CallState | None = None, keep_history: bool = True, route_hidden=None):
        """hidden: [B, T, H] last hidden states of the new columns start_col..start_col+T-1;
        input_ids: [B, T] or None; valid: [B, T] bool; route_hidden: [B, T, H] decoder layer
        `nc_router_layer`'s output for the router (None: the router reads `hidden`).

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

        route_new, route_all, all_route = hf, all_hidden, None  # the router's inputs: new columns, all columns
        if self.config.nc_router_layer is not None:
            if route_hidden is None:
                raise ValueError(f"nc_router_layer={self.config.nc_router_layer}: the module needs that layer's output (route_hidden)")
            rh = route_hidden.to(wdtype)  # RMS-normalized per position: the residual stream's scale grows with depth
            route_new = rh * torch.rsqrt(rh.float().pow(2).mean(-1, keepdim=True) + 1e-6).to(wdtype)
            route_all = all_route = torch.cat([state.route_hidden.to(wdtype), route_new], 1)  # [B, T_all, H]
        # running mean of the (valid) router inputs up to each new column: history included, so the
        # cached generation sees the same value as one forward over the whole sequence
        vmask = all_valid.to(wdtype)[..., None]  # [B, T_all, 1]
        prefix_mean = ((route_all.to(wdtype) * vmask).cumsum(1) / vmask.cumsum(1).clamp_min(1.0))[:, -T:]  # [B, T, H]
        prev_ids = torch.cat([torch.full((B, 1), -1, dtype=torch.long, device=dev), all_ids], 1)[:, -T - 1:-1]  # [B, T]
        router_logits = self.router(route_new, prefix_mean, ids, prev_ids, valid).float()  # [B, T, R + 1]
        no_ids = input_ids is None and state.ids.numel() == 0
        if call is not None:
            self._forced(st, call, router_logits, valid, cols, start_col, all_hidden, all_ids, all_valid, aux, no_ids)
        elif self.routines:
            self._route(st, router_logits, ids, valid, start_col, all_hidden, all_ids, all_valid, aux, no_ids)
        if "_remainders" in aux:  # soft runs of this forward (one per routine and firing round)
            aux["remainder"] = torch.cat(aux.pop("_remainders")).mean()
        if keep_history:
            st.hidden, st.ids, st.valid, st.route_hidden = all_hidden, all_ids, all_valid, all_route
        else:
            st.hidden, st.ids, st.valid, st.route_hidden = state.hidden, state.ids, state.valid, state.route_hidden
        return plan_writes(self, st, hidden, hf, cols, all_ids, all_valid), st, aux

    def _forced(self, st: CallState, call: NCCall, router_logits, valid, cols, start_col, all_hidden, all_ids, all_valid, aux, no_ids):
        """A teacher-forced trigger (and, unless `call.routine` is None, routine and arguments)."""
        B, T = valid.shape
        dev = valid.device
        aux["router"] = router_loss(router_logits, valid, cols, call)
        if call.answers_only and st.mode is not MachineMode.WORLDS:
            raise ValueError("a call without a routine (answers-only training) needs nc_machine_mode='worlds', "
                             f"got {st.mode.value!r}")
        routine = torch.zeros_like(call.trigger) if call.answers_only else call.routine
        fires = (call.trigger >= start_col) & (call.trigger < start_col + T) & (routine >= 0)
        fires = fires & (st.trigger < 0) & bool(self.routines)
        if not bool(fires.any()):
            return
        route_probs = None
        if call.answers_only:  # the router's distribution at the trigger weighs every routine's worlds
            at = (call.trigger - start_col).clamp(0, T - 1)
            route_probs = router_logits[torch.arange(B, device=dev), at].softmax(-1)  # [B, R + 1]
            routine = route_probs[:, 1:].argmax(-1)
        st.trigger = torch.where(fires, call.trigger, st.trigger)
        st.routine = torch.where(fires, routine, st.routine)
        st.weight = torch.where(fires, torch.ones(B, device=dev), st.weight)
        st.kept = st.kept | fires
        self._call(st, fires, all_hidden, all_ids, all_valid, call, aux, no_ids, route_probs)

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
            st.fired = st.fired + fires.long()
            self._call(st, fires, all_hidden, all_ids, all_valid, None, aux, no_ids)
        self._check_pending(st, ids, valid, start_col)

    def first_written(self, st: CallState) -> torch.Tensor:
        """[B] token id the call writes first (its most probable first token)."""
        if st.mode is MachineMode.SOFT:
            return self.vocab.candidate_ids.to(st.tape.device)[st.tape[:, 0].argmax(-1)]
        C = len(self.vocab.candidate_ids)
        tok = st.world_tokens[:, :, 0]  # [B, W]
        first = st.world_mass.detach().new_zeros(tok.shape[0], C + 1).scatter_add(
            1, torch.where(tok >= 0, tok, C), st.world_mass.detach())[:, :C]
        return self.vocab.candidate_ids.to(tok.device)[first.argmax(-1)]

    def written_ids(self, st: CallState, b: int) -> list[int]:
        """The token ids example b's call writes (soft: the argmax per slot; hard / worlds: the tape
        of the most probable world)."""
        n = int(st.tape_len[b])
        if st.mode is MachineMode.SOFT:
            idx = st.tape[b, :n].argmax(-1)
        else:
            tok = st.world_tokens[b, int(st.world_mass[b].argmax())]
            idx = tok[tok >= 0][:n]
        return self.vocab.candidate_ids[idx.cpu()].tolist()

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
        ok = (st.status == int(CallStatus.CALLED)) & (st.tape_len > 0) & (self.first_written(st) == next_id)
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

    def _call(self, st: CallState, fires, all_hidden, all_ids, all_valid, call, aux, no_ids: bool, route_probs=None):
        """Read arguments, run the machine and store the result for the examples in `fires`.
        route_probs: [B, R + 1] the router's distribution at the trigger, for an answers-only call
        (every routine runs, weighted by it)."""
        B, T_all, _ = all_hidden.shape
        dev = all_hidden.device
        col = torch.arange(T_all, device=dev)
        if no_ids:
            st.status = torch.where(fires, int(CallStatus.NO_INPUT_IDS), st.status)
            return
        cfg = self.config
        answers_only = call is not None and call.answers_only
        upto = all_valid & (col[None] <= st.trigger[:, None])  # causal: only up to the trigger
        value, is_end, overflow = self.vocab.read_numbers(all_ids, upto)
        reader_losses = []
        if answers_only:  # start from "nothing written"; each routine adds its worlds
            st.world_mass = st.world_mass.index_put((fires.nonzero()[:, 0],), torch.zeros((), device=dev))
            st.world_tokens = st.world_tokens.index_put((fires.nonzero()[:, 0],), torch.tensor(-1, device=dev))
            st.tape_len = torch.where(fires, 0, st.tape_len)
            status_all = torch.full((B,), int(CallStatus.FAULT), device=dev)
        for r, spec in enumerate(self.routines):
            rows = (fires & (fires if answers_only else (st.routine == r))).nonzero()[:, 0]
            if rows.numel() == 0:
                continue
            h_all = all_hidden[rows].to(self.router.proj.weight.dtype)  # [n, T_all, H]
            h_trig = h_all[torch.arange(rows.numel(), device=dev), st.trigger[rows]]  # [n, H]
            val = value[rows]
            in_window = self._candidates(spec, val, is_end[rows], overflow[rows], all_ids[rows])  # [n, T_all]
            forced = call.args[rows] if call is not None and call.args is not None else None  # [n, n_args, L]
            read = read_arguments(self.reader, spec, r, h_trig, h_all, val, in_window, upto[rows], forced, st.mode,
                                  cfg.nc_max_list_len)
            reader_losses += read.losses
            status = read.status
            run = status == int(CallStatus.CALLED)
            if bool(run.any()):
                sub = run.nonzero()[:, 0]
                res = self._execute(r, spec, read, sub, val[sub], in_window[sub])
                status = status.index_put((sub,), res.status)
                self._store(st, rows[sub], res, r, answers_only, route_probs)
                if read.mode is MachineMode.SOFT:
                    aux.setdefault("_remainders", []).append(res.remainder)
            if answers_only:
                status_all = status_all.index_put((rows,), torch.where(status == int(CallStatus.CALLED), status,
                                                                       status_all[rows]))
            else:
                st.status = st.status.index_put((rows,), status)
        if answers_only:
            st.status = torch.where(fires, status_all, st.status)
        if reader_losses:
            aux["reader"] = torch.stack(reader_losses).mean()

    def _candidates(self, spec, value, is_end, overflow, ids) -> torch.Tensor:
        """[n, T] bool: the pointer candidates of a routine: numbers (and, when the routine reads
        them, symbols) inside its value window. value, is_end, overflow, ids: [n, T]."""
        ok = is_end & ~overflow & (value >= spec["lo"]) & (value < spec["lo"] + spec["V"])
        if self.vocab.symbol_tokens and not spec.get("symbols", True):
            ok = ok & ~self.vocab.symbol_mask(ids)
        return ok

    def _execute(self, r: int, spec, read, sub, val, in_window) -> CallResult:
        cfg = self.config
        K = cfg.nc_max_answer_tokens
        if read.mode is MachineMode.WORLDS:
            factors = [take_rows(f, sub) for f in read.factors]
            return run_worlds(self.library, self.vocab, spec, r, factors, val, in_window, cfg.nc_worlds_top_k, K,
                              cfg.nc_max_list_len, cfg.nc_max_steps)
        pick = [take_rows(a, sub) for a in read.values]
        if read.mode is MachineMode.SOFT:
            table, rlen = self._render_table(spec, val.device)
            return run_soft(self.library, self.vocab, spec, r, pick, table, rlen, K, cfg.nc_max_steps, cfg.nc_halt_eps,
                            cfg.nc_max_remainder)
        return run_hard(self.library, self.vocab, spec, r, pick, K, cfg.nc_max_steps, val.device)

    def _store(self, st: CallState, rows, res: CallResult, r: int, answers_only: bool, route_probs) -> None:
        """Write the result of `rows` into the state (answers-only: every routine's worlds side by
        side, weighted by the router's distribution `route_probs` [B, R + 1])."""
        st.steps = st.steps.index_put((rows,), res.steps.long())
        st.remainder = st.remainder.index_put((rows,), res.remainder.float())
        if st.mode is MachineMode.SOFT:
            st.tape = st.tape.index_put((rows,), res.tape)
            st.tape_len = st.tape_len.index_put((rows,), res.tape_len)
            if self.writer.kind is WriterKind.VALUE_HEAD:
                vals = res.values
                padded = F.pad(vals.float(), (0, self.max_V - vals.shape[-1], 0, self.config.nc_max_list_len - vals.shape[1]))
                st.values = st.values.index_put((rows,), padded)
        else:
            W = res.world_tokens.shape[1]
            mass = res.world_mass
            if not answers_only:
                lo_w = 0
                st.world_tokens = st.world_tokens.index_put((rows,), torch.tensor(-1, device=rows.device))
                st.world_mass = st.world_mass.index_put((rows,), torch.zeros((), device=rows.device))
                st.tape_len = st.tape_len.index_put((rows,), res.tape_len)
            else:
                lo_w = r * self.config.nc_worlds_top_k
                mass = mass * route_probs[rows, r + 1, None]
                st.tape_len = st.tape_len.index_put((rows,), torch.maximum(st.tape_len[rows], res.tape_len))
            tokens = st.world_tokens[rows]
            tokens[:, lo_w:lo_w + W] = res.world_tokens
            st.world_tokens = st.world_tokens.index_put((rows,), tokens)
            masses = st.world_mass[rows].clone().to(mass.dtype)
            masses[:, lo_w:lo_w + W] = mass
            st.world_mass = st.world_mass.to(mass.dtype).index_put((rows,), masses)
        for i, b in enumerate(rows.tolist()):
            if not answers_only or r == int(st.routine[b]):
                st.args[b] = res.args[i]

    def argument_probability(self, hidden: torch.Tensor, input_ids: torch.Tensor, valid: torch.Tensor, call: NCCall) -> torch.Tensor:
        """The reader's probability of a call's arguments, as worlds mode reads them: [B] (NaN where
        the call has no routine or an argument is not a candidate). hidden: [B, T, H] last hidden
        states; input_ids, valid: [B, T]; call: trigger, routine and argument columns (e.g. from
        `make_call`). For analysis and tests; training never reads argument labels in this mode."""
        B, T, _ = hidden.shape
        dev = hidden.device
        col = torch.arange(T, device=dev)
        upto = valid & (col[None] <= call.trigger[:, None])
        value, is_end, overflow = self.vocab.read_numbers(input_ids, upto)
        out = torch.full((B,), float("nan"), device=dev)
        for b in range(B):
            r = int(call.routine[b])
            if r < 0 or int(call.trigger[b]) < 0:
                continue
            spec = self.routines[r]
            h = hidden[b:b + 1].to(self.router.proj.weight.dtype)
            val = value[b:b + 1]
            in_window = self._candidates(spec, val, is_end[b:b + 1], overflow[b:b + 1], input_ids[b:b + 1])
            read = read_arguments(self.reader, spec, r, h[:, int(call.trigger[b])], h, val, in_window, upto[b:b + 1], None,
                                  MachineMode.WORLDS, self.config.nc_max_list_len)
            p = torch.ones((), device=dev)
            for j, (kind, factor) in enumerate(zip(spec["args"], read.factors)):
                want = call.args[b, j]
                want = want[want >= 0]
                if kind == "int":
                    p = p * factor.probs[0, want[0]]
                else:
                    cand, q = factor.elements[0], factor.member[0]
                    member = (cand[:, None] == want[None]).any(1)
                    if int(member.sum()) != want.numel():
                        p = p * float("nan")
                    p = p * torch.where(member, q, 1 - q)[cand >= 0].prod()
            out[b] = p
        return out

    def _render_table(self, spec, device):
        key = (spec["lo"], spec["V"], repr(spec.get("labels")))
        if key not in self._render:
            self._render[key] = self.vocab.render_table(spec["lo"], spec["V"], spec.get("labels"))
        table, lengths = self._render[key]
        return table.to(device), lengths.to(device)

    def mix_logits(self, logits: torch.Tensor, plan: WritePlan) -> torch.Tensor:
        """logits: [B, T, vocab] -> same, with the written mass mixed in at the written positions."""
        if plan.tape_rows is None or not bool(plan.mask.any()):
            return logits
        m = plan.mask
        lm = logits[m].float()  # [N, vocab]
        g = plan.gate[m][:, None]  # [N, 1]
        tape = torch.zeros_like(lm).index_add(1, self.vocab.candidate_ids.to(lm.device), plan.tape_rows[m].float())
        mixed = torch.log(((1 - g) * lm.softmax(-1) + tape).clamp_min(1e-30))
        out = logits.clone() if logits.dtype == mixed.dtype else logits.float()
        out[m] = mixed
        return out


__all__ = ["ReasoningModule"]
