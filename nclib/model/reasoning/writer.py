"""The result writer: the learned gate, and the plan of which positions write what."""

from __future__ import annotations

import torch
from torch import nn

from ..configuration_ncllama import MachineMode, NCLlamaConfig, WriterKind
from .state import CallState, CallStatus, WritePlan


class NCWriter(nn.Module):
    """The learned gate g of the tape writer (open at init: weights 0, bias nc_writer_gate_bias),
    and for the value-head variant the projection of the machine's output into the hidden state."""

    def __init__(self, config: NCLlamaConfig, max_V: int):
        super().__init__()
        self.gate = nn.Linear(config.hidden_size, 1)
        self.gate_bias = config.nc_writer_gate_bias
        self.kind = WriterKind(config.nc_writer)
        self.std = config.initializer_range
        if self.kind is WriterKind.VALUE_HEAD:
            self.value_proj = nn.Linear(config.nc_max_list_len * max_V, config.hidden_size, bias=False)
            self.cursor = nn.Embedding(config.nc_max_answer_tokens, config.hidden_size)

    def reset_parameters(self):
        nn.init.zeros_(self.gate.weight)
        nn.init.constant_(self.gate.bias, self.gate_bias)
        if self.kind is WriterKind.VALUE_HEAD:
            nn.init.normal_(self.value_proj.weight, std=self.std)
            nn.init.normal_(self.cursor.weight, std=self.std)


def world_rows(st: CallState, candidate_ids: torch.Tensor, slot: torch.Tensor, all_ids: torch.Tensor, all_valid: torch.Tensor):
    """Written mass per candidate token at answer slots `slot` [B, T] -> [B, T, C].

    World k contributes its mass m_k at slot c when its tape agrees with the tokens after the
    trigger at slots 0..c-1 (the tokens already generated or teacher-forced), so the product of the
    written probabilities over an answer is the worlds' marginal likelihood of that answer."""
    B, W, K = st.world_tokens.shape
    T_all = all_ids.shape[1]
    C = len(candidate_ids)
    tok = st.world_tokens  # [B, W, K]
    pos = st.trigger[:, None] + 1 + torch.arange(K, device=tok.device)[None]  # [B, K] column of answer token s
    known = (pos < T_all) & (st.trigger[:, None] >= 0)
    at = pos.clamp(0, T_all - 1)
    actual = torch.where(known & all_valid.gather(1, at), all_ids.gather(1, at), -2)  # [B, K]
    written = torch.where(tok >= 0, candidate_ids.to(tok.device)[tok.clamp_min(0)], -1)  # [B, W, K]
    match = (written == actual[:, None]).to(st.world_mass.dtype)
    agree = torch.cat([torch.ones_like(match[..., :1]), match[..., :-1].cumprod(-1)], -1)  # [B, W, K] slots before agree
    idx = slot.clamp(0, K - 1)[:, None].expand(B, W, slot.shape[1])  # [B, W, T]
    tok_at = tok.gather(2, idx)
    mass = st.world_mass[:, :, None] * agree.gather(2, idx) * (tok_at >= 0)  # [B, W, T]
    rows = mass.new_zeros(B, slot.shape[1], C + 1).scatter_add(2, torch.where(tok_at >= 0, tok_at, C).transpose(1, 2),
                                                              mass.transpose(1, 2))
    return rows[..., :C]


def plan_writes(module, st: CallState, hidden, hf, cols, all_ids, all_valid) -> WritePlan:
    """Which new columns write, with which mass: position trigger + c writes answer slot c."""
    cfg = module.config
    B, T, H = hidden.shape
    c = cols[None] - st.trigger[:, None]  # [B, T] answer slot
    active = (st.status == int(CallStatus.CALLED))[:, None] & (st.trigger[:, None] >= 0) & (c >= 0)
    kind = module.writer.kind
    if kind is WriterKind.TAPE:
        mask = active & (c < st.tape_len[:, None])
    else:
        mask = active & (c < cfg.nc_max_answer_tokens)
    if not bool(mask.any()):
        return WritePlan(mask, torch.zeros(B, T, device=hidden.device), None, None)
    gate = st.weight[:, None] * torch.sigmoid(module.writer.gate(hf).float())[..., 0] * mask  # [B, T]
    cc = c.clamp(0, cfg.nc_max_answer_tokens - 1)
    if kind is WriterKind.VALUE_HEAD:
        delta = module.writer.value_proj(st.values.flatten(1).to(hf.dtype))[:, None] + module.writer.cursor(cc)  # [B, T, H]
        return WritePlan(mask, gate, None, (gate[..., None] * delta).to(hidden.dtype))
    if st.mode is MachineMode.SOFT:  # a distribution per slot, mass 1
        rows = st.tape.gather(1, cc[..., None].expand(B, T, st.tape.shape[-1]))  # [B, T, C]
    else:
        rows = world_rows(st, module.vocab.candidate_ids, cc, all_ids, all_valid)  # [B, T, C]
    rows = rows * mask[..., None]
    return WritePlan(mask, gate * rows.sum(-1), gate[..., None] * rows, None)


__all__ = ["NCWriter", "plan_writes", "world_rows"]
