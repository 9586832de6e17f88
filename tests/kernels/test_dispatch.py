import inspect
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
    spy = nk.dispatch.OPS["soft_read"]._replace(naive=lambda w, m: calls.append(1) or read_naive.soft_read_naive(w, m))
    monkeypatch.setitem(nk.dispatch.OPS, "soft_read", spy)
    nk.set_backend(backend)
    device = "cuda" if torch.cuda.is_available() else "cpu"
    nk.soft_read(torch.rand(2, 3, device=device), torch.rand(2, 3, 4, device=device))
    assert bool(calls) == expect_naive


def test_table_covers_the_public_ops_and_their_triton_functions():
    ops = nk.dispatch.OPS
    assert sorted(ops) == sorted(n for n in PUBLIC if n not in ("get_backend", "set_backend"))
    no_kernel = {name for name, op in ops.items() if op.triton is None}
    assert no_kernel == {"dist_min", "dist_max", "dist_unary_table"}
    for name, op in ops.items():
        assert getattr(nk, name).__name__ == name
        assert op.device_arg in inspect.signature(getattr(nk, name)).parameters, name
        if op.triton is not None:
            fn = nk.dispatch.triton_impl(name)  # imports the Triton module: the function has the op's name
            assert callable(fn) and fn.__name__ == name and fn.__module__ == f"nclib.kernels.{op.triton}"
    with pytest.raises(ValueError, match="'dist_min' has no Triton"):
        nk.dispatch.triton_impl("dist_min")


def test_dispatch_routes_by_backend_and_device_argument(monkeypatch):
    seen = []
    monkeypatch.setitem(nk.dispatch._TRITON, "dist_add", lambda a, b, lo: seen.append(("triton", lo)) or a)
    spy = nk.dispatch.OPS["dist_add"]._replace(naive=lambda a, b, lo: seen.append(("naive", lo)) or b)
    monkeypatch.setitem(nk.dispatch.OPS, "dist_add", spy)
    a, b = torch.rand(2, 5), torch.rand(2, 5)
    nk.set_backend("triton")
    assert nk.dist_add(a, b, 1) is a and nk.dist_add(a=a, b=b, lo=2) is a
    nk.set_backend("naive")
    assert nk.dist_add(a, b, 3) is b
    nk.set_backend("auto")  # CPU tensors: the reference, keyword arguments included
    assert nk.dist_add(a, b, lo=4) is b and nk.dist_add(b=b, a=a, lo=5) is b
    assert seen == [("triton", 1), ("triton", 2), ("naive", 3), ("naive", 4), ("naive", 5)]
    with pytest.raises(ValueError, match="unknown kernel op 'dist_mul'"):
        nk.dispatch.dispatch("dist_mul", a, b)


def test_cpu_path_never_imports_triton():
    code = ("import sys, torch, nclib.kernels as k; "
            "k.soft_read(torch.rand(2, 3), torch.rand(2, 3, 4)); k.dist_add(torch.rand(5), torch.rand(5), 0); "
            "k.stack_pop(torch.rand(1, 2, 3), torch.softmax(torch.rand(1, 3), -1), torch.rand(1)); "
            "print(k.get_backend(), 'triton' in sys.modules)")
    env = {k: v for k, v in os.environ.items() if k not in ("NCLIB_KERNELS", "TRITON_INTERPRET")}
    res = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120,
                         cwd=tempfile.gettempdir())
    assert res.returncode == 0, res.stderr[-2000:]
    assert res.stdout.split() == ["auto", "False"]


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
