"""Kernel tests: force the Triton backend; on a machine without CUDA run it under the interpreter.

TRITON_INTERPRET must be set before triton is imported, so it is set here, at collection time.
torch.empty / torch.empty_like are wrapped to fill floating outputs with NaN, so an output
element a kernel forgets to write fails the comparison instead of passing by luck.
"""

import os

import torch

if not torch.cuda.is_available():
    os.environ.setdefault("TRITON_INTERPRET", "1")

import pytest  # noqa: E402

import nclib.kernels  # noqa: E402

_empty, _empty_like = torch.empty, torch.empty_like


def _nan_filled(t):
    if t.is_floating_point():
        with torch.no_grad():  # a leaf made with requires_grad=True (torch.utils.checkpoint does) can be filled
            t.fill_(float("nan"))
    return t


def _nan_empty(*args, **kwargs):
    return _nan_filled(_empty(*args, **kwargs))


def _nan_empty_like(*args, **kwargs):
    return _nan_filled(_empty_like(*args, **kwargs))


@pytest.fixture(autouse=True)
def nan_filled_empty(monkeypatch):
    monkeypatch.setattr(torch, "empty", _nan_empty)
    monkeypatch.setattr(torch, "empty_like", _nan_empty_like)


@pytest.fixture(autouse=True)
def triton_backend():
    before = nclib.kernels.get_backend()
    nclib.kernels.set_backend("triton")
    yield
    nclib.kernels.set_backend(before)
