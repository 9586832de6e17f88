"""The `nclib` command line: compile, run, disasm, trace, and check-stdlib (the main job)."""

from __future__ import annotations

import argparse
import ast
import random
import sys
import time
from pathlib import Path

import torch

import nclib
from nclib.errors import NclibError


def load_program(target: str, values, memory, stack) -> nclib.Program:
    """FILE.py[:FUNC] (compiled now) or LIBRARY_DIR[:ROUTINE] (a saved library)."""
    path, _, func = target.rpartition(":") if ":" in target else (target, "", "")
    if not path:
        path, func = target, ""
    p = Path(path)
    if p.is_dir():
        lib = nclib.Library.load(p)
        return lib[func] if func else next(iter(lib))
    if not p.is_file():
        raise SystemExit(f"nclib: no such file or library directory: {path}")
    options = {"values": tuple(values), "stack": stack}
    if memory is not None:
        options["memory"] = memory
    return nclib.compile(p.read_text(), entry=func or None, file=str(p), **options)


def parse_args(prog: nclib.Program, texts: list[str]) -> list:
    args = []
    for text in texts:
        try:
            args.append(ast.literal_eval(text))
        except (ValueError, SyntaxError):
            raise SystemExit(f"nclib: argument {text!r} is not an int or a list of ints") from None
    if len(args) != len(prog.params):
        raise SystemExit(f"nclib: {prog.name} takes {len(prog.params)} arguments ({', '.join(prog.params)}), got {len(args)}")
    return args


def show(prog: nclib.Program, res: nclib.ExecResult, mode: str):
    """Element 0 of a result, for printing."""
    value = prog.decode(res, mode)[0]
    return f"None (list arguments after the call: {value})" if prog.returns == "none" else value


def cmd_compile(a) -> None:
    prog = load_program(a.target, a.values, a.memory, a.stack)
    nclib.Library([prog]).save(a.output)
    print(f"compiled {prog!r} -> {a.output}")


def cmd_run(a) -> None:
    prog = load_program(a.target, a.values, a.memory, a.stack)
    args = parse_args(prog, a.args)
    if a.soft:
        res = prog.execute(*prog.encode([args], "soft"), mode="soft")
        print(show(prog, res, "soft"))
        print(f"steps {float(res.steps[0]):.1f}, halted mass {float(res.halted[0]):.6f}")
    else:
        print(prog(*args))


def cmd_disasm(a) -> None:
    if Path(a.target).is_dir() and ":" not in a.target:
        for prog in nclib.Library.load(a.target):
            print(prog.listing(), end="\n\n")
        return
    print(load_program(a.target, a.values, a.memory, a.stack).listing())


def cmd_trace(a) -> None:
    from nclib.trace import plot_trace

    prog = load_program(a.target, a.values, a.memory, a.stack)
    args = parse_args(prog, a.args)
    mode = "soft" if a.soft else "hard"
    res = prog.execute(*prog.encode([args], mode), mode=mode, trace=True)
    path = plot_trace(prog, res, a.output, title=f"{prog.name}{tuple(args)} = {show(prog, res, mode)} ({mode})")
    print(f"wrote {path} ({len(res.trace)} steps)")


def random_args(prog: nclib.Program, rng: random.Random, max_len: int) -> list:
    """Inputs whose CPython computation stays in the window (the routine decides what is valid)."""
    from nclib.routines import digits

    hi = prog.lo + prog.V
    name = prog.name
    if name in ("add", "sub", "mul", "divmod", "compare", "gcd"):
        a, b = rng.randrange(0, 16), rng.randrange(1, 16)
        return [a + 16, b] if name == "sub" else [a, b]
    if name in ("fib", "fib_iter", "factorial"):
        return [rng.randrange(0, {"fib": 11, "fib_iter": 12, "factorial": 6}[name])]
    if name in ("insertion_sort", "bubble_sort"):
        return [[rng.randrange(0, 100) for _ in range(rng.randrange(0, max_len + 1))]]
    if name == "binary_search":
        return [sorted(rng.randrange(0, 100) for _ in range(rng.randrange(0, max_len + 1))), rng.randrange(0, 100)]
    if name in ("bfs_reachable", "dfs_reachable", "bfs_distance"):
        n = rng.randrange(2, 7)
        edges = [rng.randrange(n) for _ in range(2 * rng.randrange(0, 6))]
        return [edges, n, rng.randrange(n), rng.randrange(n)]
    if name == "reachable":
        edges = [rng.randrange(8) for _ in range(2 * rng.randrange(0, 6))]
        return [edges, rng.randrange(8), rng.randrange(8)]
    if name in ("bfs_order", "dfs_order", "bfs_distances"):
        n = rng.randrange(1, 7)
        edges = [rng.randrange(n) for _ in range(2 * rng.randrange(0, 6))]
        return [edges, n, rng.randrange(n)]
    if name == "parse_digits":
        return [digits.render_digits(rng.randrange(0, hi))]
    if name == "render_digits":
        return [rng.randrange(0, hi)]
    raise KeyError(name)


def cmd_check_stdlib(a) -> None:
    """Compile the standard library, check hard and soft (one-hot) execution against CPython on
    random inputs (one batch per routine and mode), save the library, and write listings and
    execution traces."""
    import copy

    from nclib.routines import ROUTINES
    from nclib.trace import plot_trace

    out = Path(a.out)
    (out / "listings").mkdir(parents=True, exist_ok=True)
    start = time.time()
    lib = nclib.stdlib()
    lib.save(out / "stdlib")
    oracle = {name: getattr(__import__(f"nclib.routines.{module}", fromlist=[name]), name)
              for module, names in ROUTINES.items() for name in names}
    rng = random.Random(a.seed)
    print(f"{'routine':<16}{'lines':>6}{'regs':>6}{'hard = CPython':>16}{'soft = CPython':>16}{'mean steps':>12}{'seconds':>9}")
    failures = 0
    for prog in lib:
        began = time.time()
        (out / "listings" / f"{prog.name}.txt").write_text(prog.listing() + "\n")
        calls = [random_args(prog, rng, a.max_len) for _ in range(a.n)]
        expected = []
        for args in calls:
            args = copy.deepcopy(args)
            result = oracle[prog.name](*args)
            expected.append(result if prog.returns != "none" else [x for x, k in zip(args, prog.param_kinds) if k == "list"])
        hard = prog.execute(*prog.encode(calls, "hard"))
        hard_ok = sum(got == want and not fault for got, want, fault in zip(prog.decode(hard, "hard"), expected, (hard.fault != 0).tolist()))
        soft_calls = calls[:a.n_soft]
        soft = prog.execute(*prog.encode(soft_calls, "soft"), mode="soft")
        soft_ok = sum(got == want for got, want in zip(prog.decode(soft, "soft"), expected))
        failures += (hard_ok < len(calls)) + (soft_ok < len(soft_calls))
        print(f"{prog.name:<16}{prog.asm.n_lines:>6}{prog.asm.n_regs:>6}{f'{hard_ok}/{len(calls)}':>16}"
              f"{f'{soft_ok}/{len(soft_calls)}':>16}{soft.steps.mean().item():>12.1f}{time.time() - began:>9.1f}", flush=True)
    for name, args in [("insertion_sort", [[5, 2, 8, 1, 9, 3]]), ("fib", [6]), ("gcd", [84, 36]), ("bfs_distance", [[0, 1, 1, 2, 2, 3, 0, 4], 5, 0, 3])]:
        prog = lib[name]
        res = prog.execute(*prog.encode([args]), trace=True)
        plot_trace(prog, res, out / "traces" / f"{name}.png", title=f"{name}{tuple(args)} = {show(prog, res, 'hard')}")
    print(f"library saved to {out / 'stdlib'}; listings in {out / 'listings'}; traces in {out / 'traces'}")
    print(f"{len(lib)} routines, {failures} with mismatches, {time.time() - start:.1f} s")
    if failures:
        raise SystemExit(1)


def cmd_train(a) -> None:
    from nclib.train.finetune import recipe_main

    recipe_main([a.config] + (["--stop-at", str(a.stop_at)] if a.stop_at is not None else []) + (["--set", *a.set] if a.set else [])
                + (["--overwrite"] if a.overwrite else []))


def load_eval_model(spec: str):
    """'smollm2' (the zero-shot backbone) or a saved model directory (NCLlama or LLaMA) -> (model, tokenizer)."""
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from nclib.task_model import load_backbone

    if spec in ("smollm2", "tiny"):
        return load_backbone(spec)
    if not Path(spec).is_dir():
        raise FileNotFoundError(f"model {spec!r}: expected 'smollm2' or a saved model directory (e.g. out/main/augmented/final)")
    return AutoModelForCausalLM.from_pretrained(spec), AutoTokenizer.from_pretrained(spec)


def cmd_eval(a) -> None:
    """Exact match of several models on the same rows, printed side by side."""
    from tqdm.auto import tqdm

    from nclib.evaluation import evaluate_rows, sample_rows, write_results
    from nclib.tasks import build_task, load_task

    if a.threads:
        torch.set_num_threads(a.threads)
    specs = []
    for item in a.model:
        name, sep, spec = item.partition("=")
        if not sep or not name or not spec:
            raise SystemExit(f"nclib eval: --model expects NAME=PATH_OR_smollm2, got {item!r}")
        specs.append((name, spec))
    rows = []
    for task in a.tasks:
        path = Path(a.data) / task
        if not path.exists():
            build_task(task, n_train=a.n_train, n_test=a.n_test, seed=a.seed).save_to_disk(str(path))
        dd = load_task(path)
        splits = a.splits or [s for s in dd if s.startswith("test")]
        missing = [s for s in splits if s not in dd]
        if missing:
            raise SystemExit(f"nclib eval: {path} has no split(s) {missing}; it has {list(dd)}")
        rows += sample_rows(dd, splits, a.n, a.seed)
    names = [n for n, _ in specs]
    if len(set(names)) != len(names):
        raise SystemExit(f"nclib eval: model names must be distinct, got {names}")
    passages = []
    if a.no_call:
        from nclib.corpus import ordinary_passages

        passages = ordinary_passages("test", a.no_call, seed=a.seed)
        reference = a.no_call_reference or next((n for n, s in specs if s == "smollm2"), None)
        if reference not in names:
            raise SystemExit(f"nclib eval: --no-call compares per-token losses with a reference model; name one with "
                             f"--no-call-reference NAME or evaluate smollm2 too (models: {names})")
    records, ordinary = [], []
    began = time.time()
    for name, spec in specs:
        model, tok = load_eval_model(spec)
        with tqdm(total=len(rows), desc=f"eval {name}") as bar:
            records += evaluate_rows(model, tok, rows, name, batch_size=a.batch_size, progress=bar)
        if passages:
            from nclib.nocall import no_call_records

            with tqdm(total=len(passages), desc=f"no-call {name}") as bar:
                ordinary += no_call_records(model, tok, passages, name, batch_size=a.batch_size, progress=bar)
        del model
    table = write_results(records, a.out, title="exact match by size: " + ", ".join(names))
    print(table)
    if passages:
        from nclib.nocall import write_no_call

        print(write_no_call(ordinary, a.out, reference))
    print(f"{len(rows)} rows (+ {len(passages)} ordinary passages) x {len(specs)} models in {time.time() - began:.0f} s; "
          f"predictions, tables and plot in {a.out}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="nclib", description="Neurally compiled libraries: compile Python routines into differentiable programs.")
    sub = parser.add_subparsers(dest="command", required=True)

    def target_options(p):
        p.add_argument("target", help="FILE.py[:FUNC] or a saved LIBRARY_DIR[:ROUTINE]")
        p.add_argument("--values", nargs=2, type=int, default=[0, 256], metavar=("LO", "HI"), help="value window [LO, HI)")
        p.add_argument("--memory", type=int, default=None, help="memory cells (default min(64, HI - 1))")
        p.add_argument("--stack", type=int, default=16, help="call stack frames")

    p = sub.add_parser("compile", help="compile a routine and save it as a library")
    target_options(p)
    p.add_argument("-o", "--output", required=True, help="output library directory")
    p.set_defaults(func=cmd_compile)
    p = sub.add_parser("run", help="run a routine on Python literals")
    target_options(p)
    p.add_argument("args", nargs="*", help="arguments as Python literals, e.g. 12 '[3, 1, 2]'")
    p.add_argument("--soft", action="store_true", help="run the soft machine on one-hot inputs")
    p.set_defaults(func=cmd_run)
    p = sub.add_parser("disasm", help="print the assembly listing")
    target_options(p)
    p.set_defaults(func=cmd_disasm)
    p = sub.add_parser("trace", help="write a PNG of instruction pointer and registers over time")
    target_options(p)
    p.add_argument("args", nargs="*")
    p.add_argument("-o", "--output", required=True, help="PNG path")
    p.add_argument("--soft", action="store_true")
    p.set_defaults(func=cmd_trace)
    p = sub.add_parser("check-stdlib", help="compile, verify against CPython and trace the standard library")
    p.add_argument("--out", default="out/stdlib-check")
    p.add_argument("--n", type=int, default=1000, help="random inputs per routine (hard mode, one batch)")
    p.add_argument("--n-soft", type=int, default=64, help="of which run in soft mode too (one batch)")
    p.add_argument("--max-len", type=int, default=8)
    p.add_argument("--seed", type=int, default=0)
    p.set_defaults(func=cmd_check_stdlib)
    p = sub.add_parser("train", help="run a fine-tuning recipe (train/configs/*.yaml)")
    p.add_argument("config")
    p.add_argument("--stop-at", type=int, default=None, help="stop after this step as if interrupted; rerun to resume")
    p.add_argument("--set", nargs="*", default=[], metavar="FIELD=VALUE", help="override config fields")
    p.add_argument("--overwrite", action="store_true", help="replace the run in output_dir and start at step 0")
    p.set_defaults(func=cmd_train)
    p = sub.add_parser("eval", help="exact-match accuracy of several models per task, split and size, side by side")
    p.add_argument("--model", action="append", required=True, metavar="NAME=PATH",
                   help="a saved model directory or 'smollm2' (zero-shot backbone); repeat for each model")
    p.add_argument("--tasks", nargs="+", default=["sort", "add"])
    p.add_argument("--splits", nargs="+", default=None,
                   help="test splits (default: every test split the data has: test_iid, test_ood, test_wording)")
    p.add_argument("--data", default="out/data", help="task datasets directory (built with --seed when missing)")
    p.add_argument("--n", type=int, default=50, help="rows per task and split (the same rows for every model)")
    p.add_argument("--n-train", type=int, default=2000)
    p.add_argument("--n-test", type=int, default=200)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--batch-size", type=int, default=8)
    p.add_argument("--threads", type=int, default=0)
    p.add_argument("--out", default="out/eval")
    p.add_argument("--no-call", type=int, default=0, metavar="N",
                   help="also N held-out ordinary passages (nclib.corpus): false-call rate and per-token loss")
    p.add_argument("--no-call-reference", default=None, metavar="NAME",
                   help="the model whose per-token loss the others are compared with (default: the smollm2 one)")
    p.set_defaults(func=cmd_eval)
    from nclib.algeval.cli import add_analyze_parser

    add_analyze_parser(sub)
    a = parser.parse_args(argv)
    try:
        a.func(a)
    except NclibError as err:
        print(f"nclib: {type(err).__name__}: {err}", file=sys.stderr)
        raise SystemExit(2) from None


if __name__ == "__main__":
    main()
