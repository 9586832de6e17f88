import os
import subprocess
import sys
import tempfile

import pytest
import torch

import nclib.kernels as nk
from nclib.kernels.soft_read import naive as read_naive

PUBLIC = [
    "dist_add", "dist_binary_table", "dist_compare", "dist_max", "dist_min", "dist_sub",
    "dist_unary_table", "get_backend", "set_backend", "soft_read", "soft_write", "soft_write_",
    "stack_pop", "stack_push",
]


def test_public_api_is_pinned():
    assert sorted(nk.__all__) == sorted(PUBLIC)
    for name in PUBLIC:
        assert callable(getattr(nk, name)), name


def test_set_backend_rejects_unknown_name():
    with pytest.raises(ValueError, match="'fast'"):
        nk.set_backend("fast")


@pytest.mark.parametrize("backend,expect_naive", [("naive", True), ("auto", not torch.cuda.is_available())])
def test_backend_choice_on_this_device(monkeypatch, backend, expect_naive):
    calls = []
    monkeypatch.setattr(nk.dispatch, "soft_read_naive", lambda w, m: calls.append(1) or read_naive.soft_read_naive(w, m))
    nk.set_backend(backend)
    device = "cuda" if torch.cuda.is_available() else "cpu"
    nk.soft_read(torch.rand(2, 3, device=device), torch.rand(2, 3, 4, device=device))
    assert bool(calls) == expect_naive


def test_env_var_selects_backend_and_rejects_bad_value():
    def run(value):
        env = dict(os.environ, NCLIB_KERNELS=value)
        code = "import nclib.kernels as k; print(k.get_backend())"
        return subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120,
                              cwd=tempfile.gettempdir())  # the installed nclib, not a source folder in cwd

    ok = run("naive")
    assert ok.returncode == 0 and ok.stdout.strip() == "naive", ok.stderr
    bad = run("gpu")
    assert bad.returncode != 0 and "'gpu'" in bad.stderr
