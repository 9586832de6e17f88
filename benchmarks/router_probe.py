"""Router probes: which inputs a linear router needs to carry routing to held-out wordings.

    python benchmarks/router_probe.py --data out/all/data --layers 16,22,30 --out results/router_probe.md

A linear router sees the hidden state at a position and the mean of the hidden states up to it.
This fits that router as a probe on the *frozen* SmolLM2 backbone, supervised: "no call" at every
position of ordinary prose (`nclib.data.corpus`, train sources) and before the end of each task prompt,
the task's routine at the end of its training prompts (the balanced loss of `router_loss`). Each
layer is fitted twice: on the features as they are (raw) and standardized per feature (mean and
variance over the training positions, what `NCRouter` does with its running statistics). The
"no call" logit is then shifted so that at most 1 % of the training prose fires anywhere (the
false-call budget of issue 11), and the report gives, at that operating point, the share of each
task's test_wording prompts routed to the right routine at their last token, and the share of
held-out (test-source) prose that fires. The last layer is the final norm's output, what the
router reads; earlier layers are RMS-normalized per position (the residual stream's scale grows
with depth). The backbone's first 22 layers are not LoRA-trained by the recipes, so for them the
probe sees exactly the features a trained router would.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import torch

TASKS = ("add", "fib", "gcd", "graph", "sort")
FALSE_CALL_BUDGET = 0.01


def features(model, tok, texts: list[str], layers: list[int], batch_size: int = 16) -> list[dict[int, torch.Tensor]]:
    """Per text {layer: [T, 2H] (hidden state, running mean of the hidden states)}."""
    out = []
    last = model.config.num_hidden_layers
    for i in range(0, len(texts), batch_size):
        enc = tok(texts[i:i + batch_size], return_tensors="pt", padding=True)
        with torch.no_grad():
            hs = model.model(input_ids=enc.input_ids, attention_mask=enc.attention_mask, output_hidden_states=True).hidden_states
        mask = enc.attention_mask.bool()
        for b in range(len(mask)):
            per = {}
            for layer in layers:
                h = hs[layer][b][mask[b]].float()  # [T, H]
                if layer != last:
                    h = h * torch.rsqrt(h.pow(2).mean(-1, keepdim=True) + 1e-5)
                per[layer] = torch.cat([h, h.cumsum(0) / torch.arange(1, len(h) + 1)[:, None]], -1)
            out.append(per)
    return out


def fit(pos: torch.Tensor, y_pos: torch.Tensor, neg: torch.Tensor, n_out: int, standardize: bool,
        steps: int = 300, lr: float = 1e-2, l2: float = 1e-3):
    """Balanced multinomial logistic regression; returns logits(x [N, D]) -> [N, n_out]."""
    x = torch.cat([pos, neg])
    mu, sd = (x.mean(0), x.std(0) + 1e-3) if standardize else (torch.zeros(x.shape[1]), torch.ones(x.shape[1]))
    x = (x - mu) / sd
    y = torch.cat([y_pos, torch.zeros(len(neg), dtype=torch.long)])
    w = torch.where(y == 0, 0.5 / len(neg), 0.5 / len(pos))
    W = torch.zeros(x.shape[1], n_out, requires_grad=True)
    b = torch.zeros(n_out, requires_grad=True)
    opt = torch.optim.Adam([W, b], lr=lr)
    for _ in range(steps):
        opt.zero_grad()
        loss = (torch.nn.functional.cross_entropy(x @ W + b, y, reduction="none") * w).sum() + l2 * W.pow(2).sum()
        loss.backward()
        opt.step()
    W, b = W.detach(), b.detach()
    return lambda f: ((f - mu) / sd) @ W + b


def probe(layer: int, standardize: bool, data: dict) -> dict:
    pos = torch.stack([f[layer][-1] for f in data["train"]])
    neg = torch.cat([f[layer][:-1] for f in data["train"]] + [f[layer] for f in data["prose_train"]])
    logits = fit(pos, torch.tensor(data["train_y"]), neg, len(TASKS) + 1, standardize)

    def margin(f):  # [T]: best routine minus "no call"
        z = logits(f[layer])
        return z[:, 1:].max(-1).values - z[:, 0]

    prose_train = np.array([float(margin(f).max()) for f in data["prose_train"]])
    shift = float(np.quantile(prose_train, 1 - FALSE_CALL_BUDGET))  # "no call" raised by this much
    prose_test = np.array([float(margin(f).max()) for f in data["prose_test"]])
    row = {"layer": layer, "standardized": standardize, "shift": shift, "prose_test_fires": float((prose_test > shift).mean())}
    for k, task in enumerate(TASKS):
        right = []
        for f in data["wording"][task]:
            z = logits(f[layer][-1:])[0]
            z[0] += shift
            right.append(int(z.argmax()) == k + 1)
        row[task] = float(np.mean(right))
        row[f"{task}_by_template"] = {}
        for template, ok in zip(data["wording_templates"][task], right):
            row[f"{task}_by_template"].setdefault(template, []).append(ok)
    return row


def main() -> None:
    import datasets

    from nclib.data.corpus import ordinary_passages
    from nclib.model.defaults import load_smollm2, load_smollm2_tokenizer

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", default="out/all/data")
    parser.add_argument("--layers", default="16,22,30")
    parser.add_argument("--n-train", type=int, default=240, help="training prompts per task")
    parser.add_argument("--n-prose", type=int, default=500, help="prose passages from the train and from the test sources each")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--out", default="results/router_probe.md")
    a = parser.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    layers = [int(x) for x in a.layers.split(",")]
    start = time.time()
    model, tok = load_smollm2().eval(), load_smollm2_tokenizer()
    prompts, train_y, wording, templates = [], [], {}, {}
    for k, task in enumerate(TASKS):
        d = datasets.load_from_disk(f"{a.data}/{task}")
        rows = d["train"].shuffle(seed=0).select(range(min(a.n_train, len(d["train"]))))
        prompts += rows["prompt"]
        train_y += [k + 1] * len(rows)
        wording[task] = d["test_wording"]["prompt"]
        # the template of a held-out row: its text with the digits removed, first 48 characters
        templates[task] = ["".join(c for c in p if not c.isdigit())[:48] for p in wording[task]]
    data = {"train": features(model, tok, prompts, layers), "train_y": train_y,
            "prose_train": features(model, tok, ordinary_passages("train", a.n_prose, seed=0), layers),
            "prose_test": features(model, tok, ordinary_passages("test", a.n_prose, seed=0), layers),
            "wording": {t: features(model, tok, p, layers) for t, p in wording.items()}, "wording_templates": templates}
    rows = [probe(layer, std, data) for layer in layers for std in (False, True)]
    command = f"python benchmarks/router_probe.py --data {a.data} --layers {a.layers} --n-train {a.n_train} --n-prose {a.n_prose} --out {a.out}"
    lines = [f"# Router probes on the frozen SmolLM2\n\nCommand: `{command}`\n\nMachine: the 2-core CPU box (torch threads "
             f"{a.threads}), {time.strftime('%Y-%m-%d')}, {time.time() - start:.0f} s. Method: benchmarks/router_probe.py's docstring.\n",
             "| layer | features | test_wording routed right: " + " | ".join(TASKS) + " | held-out prose fires | no-call shift |",
             "|---|---|" + "---:|" * (len(TASKS) + 2)]
    last = model.config.num_hidden_layers
    for r in rows:
        name = f"{r['layer']}" + (" (final norm, the router's input)" if r["layer"] == last else "")
        lines.append(f"| {name} | {'standardized' if r['standardized'] else 'raw'} | "
                     + " | ".join(f"{r[t]:.0%}" for t in TASKS) + f" | {r['prose_test_fires']:.1%} | {r['shift']:+.2f} |")
    lines += ["", "gcd test_wording by template (routed right):", "",
              "| layer | features | " + " | ".join(f"`{t}…`" for t in sorted(rows[0]["gcd_by_template"])) + " |",
              "|---|---|" + "---:|" * len(rows[0]["gcd_by_template"])]
    for r in rows:
        by = r["gcd_by_template"]
        lines.append(f"| {r['layer']} | {'standardized' if r['standardized'] else 'raw'} | "
                     + " | ".join(f"{np.mean(by[t]):.0%} ({len(by[t])})" for t in sorted(by)) + " |")
    with open(a.out, "w") as fh:
        fh.write("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
