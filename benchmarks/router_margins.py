"""Router margins: how far a trained model's router is from firing, on prose and on task prompts.

    python benchmarks/router_margins.py --model out/all/augmented/final --data out/all/data \
        --out results/router_margins.md

The router fires at the first position where some routine's logit beats the "no call" logit. For
each text this records the margin max_routine - no_call at its last token (a task prompt's answer
slot) and its maximum over all positions (what decides a false call on prose). Shifting every
routine logit by +delta (an operating point: a more eager router) then fires on a text iff its
margin exceeds -delta. The report gives, for a range of delta, the share of prose passages
(`nclib.data.corpus`, the train and the held-out test sources) that would fire anywhere and the share
of each task's test_wording (and, for reference, train) prompts that would fire at the answer slot:
whether a calibrated threshold could trade false calls for held-out wordings. Texts are run as in
`nclib eval`: one teacher-forced forward each.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
import torch

DELTAS = (0.0, 0.5, 1.0, 1.5, 2.0, 2.5, 3.0)
TASKS = ("gcd", "add", "sort", "fib")


def router_margins(model, tok, router, texts: list[str], batch_size: int = 8) -> list[tuple[float, float]]:
    """(max over positions, at the last token) of max_routine_logit - no_call_logit per text."""
    seen = {}
    handle = router.register_forward_hook(lambda m, a, out: seen.__setitem__("logits", out))
    out = []
    try:
        for i in range(0, len(texts), batch_size):
            enc = tok(texts[i:i + batch_size], return_tensors="pt", padding=True)
            with torch.no_grad():
                model(input_ids=enc.input_ids, attention_mask=enc.attention_mask)
            logits = seen["logits"].float()  # [B, T, R + 1]
            margin = logits[..., 1:].max(-1).values - logits[..., 0]  # [B, T]
            for b in range(enc.input_ids.shape[0]):
                m = margin[b][enc.attention_mask[b].bool()]
                out.append((float(m.max()), float(m[-1])))
    finally:
        handle.remove()
    return out


def decompose(model_dir: str, prompts: list[str], routine: str) -> list[str]:
    """Per prompt, the no-call minus `routine` logit at its last token split into the router's
    terms: the last hidden state's, the prompt's mean hidden state's (standardized as the router
    does with nc_router_inputs="standardized"), the bias's, the tokens'."""
    from transformers import AutoModelForCausalLM, AutoTokenizer

    import nclib  # noqa: F401

    model = AutoModelForCausalLM.from_pretrained(model_dir).eval()
    tok = AutoTokenizer.from_pretrained(model_dir)
    router = next(m for m in model.modules() if type(m).__name__ == "NCRouter")
    col = 1 + [r["name"] for r in model.config.nc_routines].index(routine)
    seen = {}
    router.register_forward_pre_hook(lambda m, a: seen.__setitem__("args", a))
    H = router.proj.weight.shape[1] // 2
    W, b = router.proj.weight.detach(), router.proj.bias.detach()
    lines = [f"| prompt (end) | last hidden | prompt mean | bias | tokens | no call - {routine} |", "|---|---:|---:|---:|---:|---:|"]
    for p in prompts:
        with torch.no_grad():
            model(tok(p, return_tensors="pt").input_ids)
            hidden, mean, ids, prev = seen["args"][:4]
            rows = lambda t: torch.where((t >= 0) & (t < router.vocab_size), t, router.vocab_size)  # noqa: E731
            lex = router.token(rows(ids[0, -1:]))[0] + router.prev_token(rows(prev[0, -1:]))[0]
            z = torch.cat([hidden[0, -1], mean[0, -1]])
            if getattr(router, "standardize", False):  # nc_router_inputs="standardized"
                z = (z - router.feature_mean) * router.feature_var.clamp_min(1e-6).rsqrt()
            terms = [W[:, :H] @ z[:H], W[:, H:] @ z[H:], b, lex]
        parts = [float(t[0] - t[col]) for t in terms]
        lines.append(f"| ...{p[-60:]!r} | " + " | ".join(f"{x:+.2f}" for x in parts) + f" | {sum(parts):+.2f} |")
    return lines


def measure(model_dir: str, data_dir: str, n_prose: int, n_rows: int) -> dict:
    import datasets
    from transformers import AutoModelForCausalLM, AutoTokenizer

    import nclib  # noqa: F401  (registers NCLlama with the Auto classes)
    from nclib.data.corpus import ordinary_passages

    model = AutoModelForCausalLM.from_pretrained(model_dir).eval()
    tok = AutoTokenizer.from_pretrained(model_dir)
    tok.padding_side = "right"
    router = next(m for m in model.modules() if type(m).__name__ == "NCRouter")
    res = {"prose_train": router_margins(model, tok, router, ordinary_passages("train", n_prose, seed=1)),
           "prose_test": router_margins(model, tok, router, ordinary_passages("test", n_prose // 2, seed=0))}
    for task in TASKS:
        d = datasets.load_from_disk(f"{data_dir}/{task}")
        for split in ("train", "test_wording"):
            rows = d[split].select(range(min(n_rows, len(d[split]))))
            res[f"{task}_{split}"] = [[m, style, prompt] for m, style, prompt in
                                      zip(router_margins(model, tok, router, rows["prompt"]), rows["style"], rows["prompt"])]
    return res


def report(res: dict, command: str) -> str:
    prose_train = np.array([m for m, _ in res["prose_train"]])
    prose_test = np.array([m for m, _ in res["prose_test"]])
    head = "| delta | prose (train sources) fires | prose (test sources) fires | " + " | ".join(
        f"{t} test_wording / train fire at the slot" for t in TASKS) + " |"
    lines = [f"# Router margins\n\nCommand: `{command}`\n\nMachine: the 2-core CPU box (torch threads 2), "
             f"{time.strftime('%Y-%m-%d')}. Model: the five-task answers-only model of RESULTS.md §2b.\n", head, "|" + "---|" * (3 + len(TASKS))]
    for d in DELTAS:
        cells = [f"{d:+.1f}", f"{(prose_train > -d).mean():.1%} ({len(prose_train)})", f"{(prose_test > -d).mean():.1%} ({len(prose_test)})"]
        for t in TASKS:
            wording = np.array([m[1] for m, _, _ in res[f"{t}_test_wording"]])
            train = np.array([m[1] for m, _, _ in res[f"{t}_train"]])
            cells.append(f"{(wording > -d).mean():.0%} / {(train > -d).mean():.0%}")
        lines.append("| " + " | ".join(cells) + " |")
    misses = [(m[1], p) for m, _, p in res["gcd_test_wording"] if m[1] <= 0]
    lines += ["", f"gcd test_wording prompts that do not fire at delta 0 ({len(misses)}), margin at the slot:", ""]
    lines += [f"- {m:+.2f}  {p[:110]!r}" for m, p in sorted(misses)]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", default="out/all/augmented/final")
    parser.add_argument("--data", default="out/all/data")
    parser.add_argument("--n-prose", type=int, default=1000, help="train-source passages (half as many test-source ones)")
    parser.add_argument("--n-rows", type=int, default=200, help="prompts per task and split")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--out", default="results/router_margins.md")
    parser.add_argument("--from-json", default=None, help="write the report from a saved measurement")
    parser.add_argument("--decompose", nargs="+", default=None, metavar="PROMPT",
                        help="only print the router's terms at the end of these prompts (with --routine)")
    parser.add_argument("--routine", default="gcd")
    a = parser.parse_args()
    torch.set_num_threads(a.threads)
    if a.decompose:
        print("\n".join(decompose(a.model, a.decompose, a.routine)))
        return
    command = (f"python benchmarks/router_margins.py --model {a.model} --data {a.data} --n-prose {a.n_prose} "
               f"--n-rows {a.n_rows} --out {a.out}")
    start = time.time()
    res = json.loads(Path(a.from_json).read_text()) if a.from_json else measure(a.model, a.data, a.n_prose, a.n_rows)
    Path(a.out).with_suffix(".json").write_text(json.dumps(res))
    Path(a.out).write_text(report(res, command))
    print(f"wrote {a.out} ({time.time() - start:.0f} s)")


if __name__ == "__main__":
    main()
