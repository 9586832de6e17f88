"""Gradient study through the reasoning module: LM loss and gradient norms versus execution depth.

    python benchmarks/grad_module.py --out results/grad_module

The paper's open question is whether the gradient that reaches the model through a long program
execution is useful ("long and noisy"). Here the module runs the *soft* machine on the reader's own
pointer distributions (routing is teacher-forced, arguments are not), so the language-model loss
on the answer tokens back-propagates through the tape writer, every machine step, the argument
distributions and the pointer attention into the reader's weights and the backbone's hidden
states. For each depth (insertion sort of n elements, recursive Fibonacci of n) we record, over a
batch of prompts:

- steps: machine steps of the run (the execution depth);
- loss: answer-token cross-entropy with the module's tape mixed in;
- p_exact: the probability the tape assigns to the exact answer (product over answer tokens);
- |g_reader|: gradient norm at the reader's query/key weights (the parameters the call trains);
- |g_hidden|: gradient norm at the backbone's last hidden states through the module only.

The backbone is a tiny random LLaMA (hidden 64, 2 layers) with the real SmolLM2 tokenizer: the
quantities measured live in the module and the machine, not the backbone. Two pointer regimes:
"trained" (the reader first trained with its supervised pointer loss on other prompts, so the
argument distributions are sharp and right, as after fine-tuning) and "untrained" (the initial
pointer, spread over the prompt's numbers: for fib the argument and a distractor 0 or 1).
"""

from __future__ import annotations

import argparse
import json
import platform
import time
from datetime import date
from pathlib import Path

import torch
from transformers import LlamaConfig

import nclib
from nclib.model import NCLlamaForCausalLM
from nclib.model.defaults import load_smollm2_tokenizer
from nclib.model.reasoning import NCCall


def build(tok):
    src_sort = (Path(nclib.__file__).parent / "routines" / "sorting.py").read_text()
    src_fib = (Path(nclib.__file__).parent / "routines" / "fibonacci.py").read_text()
    lib = [nclib.compile(src_sort, entry="insertion_sort", values=(0, 16), memory=15),
           nclib.compile(src_fib, entry="fib", values=(0, 64), memory=32)]
    torch.manual_seed(0)
    cfg = LlamaConfig(vocab_size=len(tok), hidden_size=64, intermediate_size=128, num_hidden_layers=2, num_attention_heads=4,
                      num_key_value_heads=2, max_position_embeddings=256, eos_token_id=tok.eos_token_id)
    model = NCLlamaForCausalLM.from_base(cfg, library=lib, tokenizer=tok, nc_machine_mode="soft", nc_max_steps=20_000,
                                         nc_halt_eps=1e-6, nc_max_remainder=1.0, nc_max_list_len=8)
    with torch.no_grad():
        model.reasoning.reader.list_bias.fill_(5.0)  # every number is a member (the prompts hold only the list)
    return model


def train_reader(model, tok, steps: int = 60) -> None:
    """Supervised pointer training (forced arguments, the reader's own loss) on random fib prompts."""
    opt = torch.optim.Adam(model.reasoning.reader.parameters(), lr=3e-2)
    rng = torch.Generator().manual_seed(1234)
    for _ in range(steps):
        batch = [p for n in range(1, 8) for p in prompts("fib", n, 1, rng)]
        ids = [tok(p, add_special_tokens=False)["input_ids"] for p, _, _ in batch]
        T = max(map(len, ids))
        x = torch.full((len(ids), T), tok.eos_token_id)
        m = torch.zeros(len(ids), T, dtype=torch.long)
        for b, seq in enumerate(ids):
            x[b, : len(seq)], m[b, : len(seq)] = torch.tensor(seq), 1
        call = model.reasoning.make_call(x, ["fib"] * len(ids), [[[1]]] * len(ids), attention_mask=m)
        out = model(input_ids=x, attention_mask=m, nc_call=call)
        opt.zero_grad()
        out.nc_losses["reader"].backward()
        opt.step()


def fib(n: int) -> int:
    return n if n < 2 else fib(n - 1) + fib(n - 2)


def prompts(kind: str, n: int, count: int, rng: torch.Generator):
    out = []
    for _ in range(count):
        if kind == "sort":
            xs = torch.randint(0, 16, (n,), generator=rng).tolist()
            out.append((f"sort [{', '.join(map(str, xs))}] = ", ", ".join(map(str, sorted(xs))), 0))
        else:
            other = int(torch.randint(0, 2, (1,), generator=rng))
            out.append((f"given {other}, fib {n} = ", str(fib(n)), 1))  # a distractor number before the argument
    return out


def measure(model, tok, batch):
    ids, labels, trig, rout = [], [], [], []
    for prompt, answer, r in batch:
        p = tok(prompt, add_special_tokens=False)["input_ids"]
        a = tok(answer, add_special_tokens=False)["input_ids"] + [tok.eos_token_id]
        ids.append(p + a)
        labels.append([-100] * len(p) + a)
        trig.append(len(p) - 1)
        rout.append(r)
    T = max(map(len, ids))
    B = len(ids)
    x = torch.full((B, T), tok.eos_token_id)
    y = torch.full((B, T), -100)
    m = torch.zeros(B, T, dtype=torch.long)
    for b in range(B):
        x[b, : len(ids[b])] = torch.tensor(ids[b])
        y[b, : len(ids[b])] = torch.tensor(labels[b])
        m[b, : len(ids[b])] = 1
    model.zero_grad(set_to_none=True)
    hidden_grads = {}

    def keep(module, inputs, output):
        h = output.last_hidden_state
        h.retain_grad()
        hidden_grads["h"] = h

    handle = model.model.register_forward_hook(keep)
    call = NCCall(trigger=torch.tensor(trig), routine=torch.tensor(rout), args=None)
    began = time.time()
    out = model(input_ids=x, attention_mask=m, labels=y, nc_call=call)
    lm = torch.nn.functional.cross_entropy(out.logits[:, :-1].flatten(0, 1), y[:, 1:].flatten(), ignore_index=-100)
    logp = torch.log_softmax(out.logits[:, :-1].float(), -1).gather(2, y[:, 1:].clamp_min(0)[..., None])[..., 0]
    p_exact = (logp * (y[:, 1:] >= 0)).sum(1).exp()
    lm.backward()
    handle.remove()
    r = model.reasoning.reader
    g_reader = torch.sqrt(sum((p.grad.float() ** 2).sum() for p in (r.query.weight, r.key.weight) if p.grad is not None))
    g_hidden = hidden_grads["h"].grad.norm()
    return {"steps": out.nc_steps.float().mean().item(), "loss": lm.item(), "p_exact": p_exact.mean().item(),
            "g_reader": g_reader.item(), "g_hidden": g_hidden.item(), "seconds": time.time() - began}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", default="results/grad_module")
    parser.add_argument("--batch", type=int, default=4)
    parser.add_argument("--sort-n", type=int, nargs="+", default=[1, 2, 3, 4, 5, 6, 8])
    parser.add_argument("--fib-n", type=int, nargs="+", default=[1, 2, 3, 4, 5, 6, 7])
    parser.add_argument("--threads", type=int, default=2)
    a = parser.parse_args()
    torch.set_num_threads(a.threads)
    tok = load_smollm2_tokenizer()
    rows = []
    for regime in ("trained", "untrained"):
        model = build(tok)
        if regime == "trained":
            train_reader(model, tok)
        for kind, ns in (("sort", a.sort_n), ("fib", a.fib_n)):
            for n in ns:
                rng = torch.Generator().manual_seed(n)
                row = {"regime": regime, "routine": kind, "n": n, **measure(model, tok, prompts(kind, n, a.batch, rng))}
                rows.append(row)
                print(json.dumps(row), flush=True)
    out = Path(a.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.with_suffix(".json").write_text(json.dumps(rows, indent=1))
    plot(rows, out.with_suffix(".png"))
    lines = [f"# Gradient study through the reasoning module ({date.today()})", "",
             f"Command: `python benchmarks/grad_module.py --out {a.out}`; machine: {platform.processor() or platform.machine()}, "
             f"{torch.get_num_threads()} threads, torch {torch.__version__}; batch {a.batch}, float32.", "",
             "| regime | routine | n | steps | loss | p(exact) | ‖g_reader‖ | ‖g_hidden‖ | s |", "|---|---|---:|---:|---:|---:|---:|---:|---:|"]
    for r in rows:
        lines.append(f"| {r['regime']} | {r['routine']} | {r['n']} | {r['steps']:.0f} | {r['loss']:.3g} | {r['p_exact']:.3g} | "
                     f"{r['g_reader']:.3g} | {r['g_hidden']:.3g} | {r['seconds']:.1f} |")
    out.with_suffix(".md").write_text("\n".join(lines) + "\n")


def plot(rows, path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 3, figsize=(13, 3.6))
    for regime, style in (("trained", "-"), ("untrained", "--")):
        for kind, color in (("sort", "C0"), ("fib", "C3")):
            rs = [r for r in rows if r["regime"] == regime and r["routine"] == kind]
            steps = [r["steps"] for r in rs]
            label = f"{kind}, {regime} pointer"
            axes[0].plot(steps, [r["loss"] for r in rs], style, marker="o", color=color, label=label)
            axes[1].plot(steps, [max(r["g_reader"], 1e-30) for r in rs], style, marker="o", color=color, label=label)
            axes[2].plot(steps, [max(r["p_exact"], 1e-30) for r in rs], style, marker="o", color=color, label=label)
    axes[0].set_ylabel("answer cross-entropy")
    axes[1].set_ylabel("‖∂loss/∂reader‖")
    axes[1].set_yscale("log")
    axes[2].set_ylabel("p(exact answer)")
    axes[2].set_yscale("log")
    for ax in axes:
        ax.set_xlabel("machine steps (execution depth)")
        ax.set_xscale("log")
        ax.grid(alpha=0.3)
    axes[0].legend(fontsize=7)
    fig.suptitle("Loss and gradient through the soft machine vs execution depth")
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)


if __name__ == "__main__":
    main()
