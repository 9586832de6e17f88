"""The router: where to call, and which routine."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from ..configuration_ncllama import NCLlamaConfig
from .state import NCCall


# Running statistics of the router's inputs: a cumulative average over the first 1 / MOMENTUM
# training forwards, then an exponential one (the features drift slowly as LoRA trains).
MOMENTUM = 0.01
MIN_VAR = 1e-6


class NCRouter(nn.Module):
    """Logits over ["no call", routine_0, ...] from the hidden state, the mean of the hidden states up
    to it (what the prompt is about, whatever its length) and a learned score for the current and
    the previous token (lexical: "the prompt ended with '= '" reads the same at any length).
    Starts closed (zero weights and token scores, "no call" bias).

    With `nc_router_inputs="standardized"` the two hidden-state inputs are standardized per feature
    with running statistics (buffers `feature_mean`, `feature_var`: updated by training forwards
    over the valid positions, fixed in eval mode, saved with the model). The final norm's weight
    scales a few of the last hidden state's features far above the rest; probes on the frozen
    backbone route held-out wordings better from standardized features (results/router_probe.md),
    but the trained five-task and main-job models were not better for it (RESULTS.md §2c), so
    "raw" is the default."""

    def __init__(self, config: NCLlamaConfig):
        super().__init__()
        n_out = len(config.nc_routines) + 1
        self.proj = nn.Linear(2 * config.hidden_size, n_out)
        self.token = nn.Embedding(config.vocab_size + 1, n_out)  # row vocab_size: unknown / no token
        self.prev_token = nn.Embedding(config.vocab_size + 1, n_out)
        self.vocab_size = config.vocab_size
        self.no_call_bias = config.nc_router_no_call_bias
        self.standardize = config.nc_router_inputs == "standardized"
        if self.standardize:
            self.register_buffer("feature_mean", torch.zeros(2 * config.hidden_size))
            self.register_buffer("feature_var", torch.ones(2 * config.hidden_size))
            self.register_buffer("feature_updates", torch.zeros((), dtype=torch.long))

    def reset_parameters(self):
        nn.init.zeros_(self.proj.weight)
        nn.init.zeros_(self.proj.bias)
        nn.init.zeros_(self.token.weight)
        nn.init.zeros_(self.prev_token.weight)
        with torch.no_grad():
            self.proj.bias[0] = self.no_call_bias
            if self.standardize:  # identity statistics, no updates yet
                self.feature_mean.zero_()
                self.feature_var.fill_(1.0)
                self.feature_updates.zero_()

    @torch.no_grad()
    def _update_statistics(self, x: torch.Tensor) -> None:
        """x: [N, 2H] features of the valid positions of one training forward."""
        if x.shape[0] == 0:
            return
        x = x.float()
        m = max(1.0 / float(self.feature_updates + 1), MOMENTUM)
        mean, var = x.mean(0), x.var(0, unbiased=False)
        if int(self.feature_updates) == 0:
            self.feature_mean.copy_(mean)
            self.feature_var.copy_(var)
        else:  # mix the batch's moments in, as a mixture of two distributions
            delta = mean - self.feature_mean
            self.feature_var.mul_(1 - m).add_(m * var + m * (1 - m) * delta.square())
            self.feature_mean.add_(m * delta)
        self.feature_updates += 1

    def forward(self, hidden: torch.Tensor, prefix_mean: torch.Tensor, ids: torch.Tensor, prev_ids: torch.Tensor,
                valid: torch.Tensor | None = None) -> torch.Tensor:
        """hidden, prefix_mean: [B, T, H]; ids, prev_ids: [B, T] (-1: unknown); valid: [B, T] bool
        (the positions a training forward takes statistics from; None: all) -> [B, T, R + 1]."""
        def rows(t):
            return torch.where((t >= 0) & (t < self.vocab_size), t, self.vocab_size)

        x = torch.cat([hidden, prefix_mean], -1)  # [B, T, 2H]
        if self.standardize:
            if self.training:
                self._update_statistics(x.detach()[valid] if valid is not None else x.detach().flatten(0, -2))
            scale = self.feature_var.clamp_min(MIN_VAR).rsqrt()
            x = (x - self.feature_mean.to(x.dtype)) * scale.to(x.dtype)
        lexical = self.token(rows(ids)) + self.prev_token(rows(prev_ids))
        return self.proj(x) + lexical.to(hidden.dtype)


def router_loss(logits: torch.Tensor, valid: torch.Tensor, cols: torch.Tensor, call: NCCall) -> torch.Tensor:
    """CE toward "no call" at the valid positions before the trigger (averaged) plus, when the call
    names its routine, CE toward it at the trigger (averaged over the examples that call): balanced,
    so the one trigger position is not outweighed by the many positions before it. Without a named
    routine (answers-only training) only the first term remains: it uses nothing but where the
    prompt ends; which routine to call is learned from the answer tokens."""
    trig = call.trigger[:, None]
    calls = trig >= 0 if call.answers_only else call.routine[:, None] >= 0
    before = valid & ((cols[None] < trig) | ~calls)
    loss = logits.sum() * 0.0
    if bool(before.any()):
        loss = loss + F.cross_entropy(logits[before].float(), torch.zeros(int(before.sum()), dtype=torch.long, device=logits.device))
    if not call.answers_only:
        at_trigger = (cols[None] == trig) & calls & valid
        if bool(at_trigger.any()):
            target = (call.routine[:, None] + 1).expand_as(at_trigger)[at_trigger]
            loss = loss + F.cross_entropy(logits[at_trigger].float(), target)
    return loss


__all__ = ["NCRouter", "router_loss"]
