"""The router: where to call, and which routine."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from ..configuration_ncllama import NCLlamaConfig
from .state import NCCall


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


def router_loss(logits: torch.Tensor, valid: torch.Tensor, cols: torch.Tensor, call: NCCall) -> torch.Tensor:
    """CE toward "no call" at the valid positions before the trigger (averaged) plus, when the call
    names its routine, CE toward it at the trigger (averaged over the examples that call): balanced,
    so the one trigger position is not outweighed by the many positions before it. Without a named
    routine (answers-only training) only the first term remains: it uses nothing but where the
    prompt ends; which routine to call is learned from the answer tokens."""
    trig = call.trigger[:, None]
    calls = trig >= 0 if call.routine is None else call.routine[:, None] >= 0
    before = valid & ((cols[None] < trig) | ~calls)
    loss = logits.sum() * 0.0
    if bool(before.any()):
        loss = loss + F.cross_entropy(logits[before].float(), torch.zeros(int(before.sum()), dtype=torch.long, device=logits.device))
    if call.routine is not None:
        at_trigger = (cols[None] == trig) & calls & valid
        if bool(at_trigger.any()):
            target = (call.routine[:, None] + 1).expand_as(at_trigger)[at_trigger]
            loss = loss + F.cross_entropy(logits[at_trigger].float(), target)
    return loss


__all__ = ["NCRouter", "router_loss"]
