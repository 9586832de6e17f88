"""Shared helpers for the kernel tests: device, tolerances, forward+gradient comparison."""

import torch

DEVICE = "cuda" if torch.cuda.is_available() else "cpu"
DTYPES = [torch.float32, torch.bfloat16]
# max |got - ref| <= TOL * max(1, max |ref|); bf16 keeps 8 mantissa bits (relative step 2^-8).
TOL = {torch.float32: 2e-5, torch.bfloat16: 3e-2, torch.float64: 1e-10}


def dtype_id(dtype: torch.dtype) -> str:
    return str(dtype).replace("torch.", "")


def assert_close(name: str, got: torch.Tensor, ref: torch.Tensor, dtype: torch.dtype) -> None:
    assert got.shape == ref.shape, f"{name}: shape {tuple(got.shape)} != reference {tuple(ref.shape)}"
    assert got.dtype == dtype, f"{name}: dtype {got.dtype} != {dtype}"
    got, ref = got.double(), ref.double()
    assert torch.isfinite(got).all(), f"{name}: non-finite entries (an unwritten output?)"
    scale = max(1.0, ref.abs().max().item())
    err = (got - ref).abs().max().item()
    assert err <= TOL[dtype] * scale, f"{name}: max error {err:.3g} > {TOL[dtype]} * {scale:.3g}"


def check_op(fn, ref_fn, inputs, dtype, extra=(), names=None):
    """Run fn (Triton) on inputs and ref_fn in float64 on the same values; compare every output
    and the gradient of every input under the same random upstream gradients."""
    inputs = [t.detach().requires_grad_() for t in inputs]
    ref_inputs = [t.detach().double().requires_grad_() for t in inputs]
    outs = fn(*inputs, *extra)
    ref_outs = ref_fn(*ref_inputs, *extra)
    outs = outs if isinstance(outs, tuple) else (outs,)
    ref_outs = ref_outs if isinstance(ref_outs, tuple) else (ref_outs,)
    grads = [torch.randn_like(o, dtype=torch.float32).to(dtype) for o in outs]
    for i, (o, r) in enumerate(zip(outs, ref_outs)):
        assert_close(f"output {i}", o, r, dtype)
    torch.autograd.backward(outs, grads)
    torch.autograd.backward(ref_outs, [g.double() for g in grads])
    names = names or [f"input {i}" for i in range(len(inputs))]
    for name, t, r in zip(names, inputs, ref_inputs):
        assert t.grad is not None, f"no gradient for {name}"
        assert_close(f"d{name}", t.grad, r.grad, dtype)
