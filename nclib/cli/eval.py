"""`nclib eval --model NAME=SPEC ...`: exact match of several models on the same rows, per task,
split and size, printed side by side (nclib.evals.side_by_side), with `--no-call N` the false-call
rate and per-token loss on N ordinary passages too."""

from __future__ import annotations

import time

from nclib.cli.parser import NATURAL, POSITIVE
from nclib.errors import UsageError

__all__ = ["add_parser", "run"]


def add_parser(subparsers) -> None:
    p = subparsers.add_parser("eval", help="exact-match accuracy of several models per task, split and size, side by side")
    p.add_argument("--model", action="append", required=True, metavar="NAME=PATH",
                   help="a saved model directory or 'smollm2' (zero-shot backbone); repeat for each model")
    p.add_argument("--tasks", nargs="+", default=["sort", "add"])
    p.add_argument("--splits", nargs="+", default=None,
                   help="test splits (default: every test split the data has: test_iid, test_ood, test_wording)")
    p.add_argument("--data", default="out/data", help="task datasets directory (built with --seed when missing)")
    p.add_argument("--n", type=POSITIVE, default=50, help="rows per task and split (the same rows for every model)")
    p.add_argument("--n-train", type=POSITIVE, default=2000)
    p.add_argument("--n-test", type=POSITIVE, default=200)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--batch-size", type=POSITIVE, default=8)
    p.add_argument("--threads", type=NATURAL, default=0)
    p.add_argument("--out", default="out/eval")
    p.add_argument("--no-call", type=NATURAL, default=0, metavar="N",
                   help="also N held-out ordinary passages (nclib.data.corpus): false-call rate and per-token loss")
    p.add_argument("--no-call-reference", default=None, metavar="NAME",
                   help="the model whose per-token loss the others are compared with (default: the smollm2 one)")
    p.set_defaults(func=run)


def run(a) -> None:
    from nclib.evals.exact_match import write_results
    from nclib.evals.side_by_side import check_tasks, evaluate_models, no_call_reference, parse_model_specs, task_rows

    specs = parse_model_specs(a.model)
    names = [n for n, _ in specs]
    check_tasks(a.tasks)
    reference = no_call_reference(specs, a.no_call_reference)
    if a.no_call and reference not in names:
        raise UsageError(f"--no-call compares per-token losses with a reference model; name one with "
                         f"--no-call-reference NAME or evaluate smollm2 too (models: {names})")
    if a.threads:
        import torch

        torch.set_num_threads(a.threads)
    rows = task_rows(a.tasks, a.data, a.splits, a.n, a.n_train, a.n_test, a.seed)
    passages = []
    if a.no_call:
        from nclib.data.corpus import ordinary_passages

        passages = ordinary_passages("test", a.no_call, seed=a.seed)
    began = time.time()
    records, ordinary = evaluate_models(specs, rows, a.batch_size, passages)
    print(write_results(records, a.out, title="exact match by size: " + ", ".join(names)))
    if passages:
        from nclib.evals.nocall import write_no_call

        print(write_no_call(ordinary, a.out, reference))
    print(f"{len(rows)} rows (+ {len(passages)} ordinary passages) x {len(specs)} models in {time.time() - began:.0f} s; "
          f"predictions, tables and plot in {a.out}")
