"""The hard machine's state: one int64 tensor per field, batch first. Shared by the torch and the
compiled hard interpreters (`hard.py`, `compiled.py`), which read and return it field by field."""

from __future__ import annotations

from dataclasses import dataclass

import torch


@dataclass
class HardState:
    regs: torch.Tensor  # [B, R + C] int64; the last C columns hold the constants
    mem: torch.Tensor  # [B, A]
    stack_regs: torch.Tensor  # [B, K, R]
    stack_ret: torch.Tensor  # [B, K]
    sp: torch.Tensor  # [B]
    ip: torch.Tensor  # [B]
    steps: torch.Tensor  # [B]
    fault: torch.Tensor  # [B] first fault code (overflow is recorded but does not stop)
    fault_line: torch.Tensor  # [B]
    overflow_line: torch.Tensor  # [B] first line whose result left the window, -1 if none
    overflow_value: torch.Tensor  # [B] the unwrapped result at that line


HARD_FIELDS = ("regs", "mem", "stack_regs", "stack_ret", "sp", "ip", "steps", "fault", "fault_line", "overflow_line", "overflow_value")

