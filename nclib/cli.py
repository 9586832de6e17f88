"""The `nclib` command line: compile, run, disasm, trace, check-stdlib, train, eval and analyze.

Errors: every command stops with one line on stderr, `nclib <command>: error: <message>`, and exit
code 2 for a usage error (a malformed or unknown argument value, found by argparse or by the
command: `UsageError`) or 1 for an error while running (an nclib error, a file that cannot be
read or written, a bad value found by the library). `--debug` (anywhere on the command line)
shows the traceback instead.
"""

from __future__ import annotations

import argparse
import ast
import contextlib
import copy
import random
import sys
import time
from pathlib import Path

import nclib
from nclib.errors import CompileError, NclibError, StepLimitError, UsageError


class Parser(argparse.ArgumentParser):
    """argparse with one-line usage errors (`nclib run: error: <message>; see `nclib run --help``,
    exit code 2) and a `--debug` option on every (sub)command."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.add_argument("--debug", action="store_true", default=argparse.SUPPRESS,
                          help="on an error, show the Python traceback instead of one line")

    def error(self, message: str):
        self.exit(2, f"{self.prog}: error: {message}; see `{self.prog} --help`\n")


def int_at_least(minimum: int):
    """An argparse type: an int >= minimum (else a usage error naming the value)."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            value = None
        if value is None or value < minimum:
            raise argparse.ArgumentTypeError(f"expected an integer >= {minimum}, got {text!r}")
        return value

    parse.__name__ = f"int >= {minimum}"
    return parse


class WindowAction(argparse.Action):
    """--values LO HI: two ints with LO < HI."""

    def __call__(self, parser, namespace, values, option_string=None):
        lo, hi = values
        if lo >= hi:
            parser.error(f"argument {option_string}: LO must be below HI, got {lo} {hi} (e.g. --values 0 256)")
        setattr(namespace, self.dest, [lo, hi])


def split_target(target: str) -> tuple[str, str]:
    """FILE.py[:FUNC] or DIR[:ROUTINE] -> (path, name or "")."""
    path, sep, name = target.rpartition(":")
    return (path, name) if sep and path else (target, "")


def load_program(target: str, values, memory, stack) -> nclib.Program:
    """FILE.py[:FUNC] (compiled now) or LIBRARY_DIR[:ROUTINE] (a saved library)."""
    path, func = split_target(target)
    p = Path(path)
    if not p.is_dir():
        return nclib.Program(compile_file(target, values, memory, stack))
    check_library_target(target, values, memory, stack)
    lib = nclib.Library.load(p)
    return lib[pick_routine(target, lib.names)]


def check_library_target(target: str, values, memory, stack) -> None:
    given = [name for name, value in (("--values", values), ("--memory", memory), ("--stack", stack)) if value is not None]
    if given:
        raise UsageError(f"{target}: a saved library keeps the options it was compiled with; drop {', '.join(given)} "
                         f"or compile the source again with them")


def pick_routine(target: str, names: list[str]) -> str:
    """The routine LIBRARY_DIR[:ROUTINE] names among the library's `names` (its first without ROUTINE)."""
    path, func = split_target(target)
    if func and func not in names:
        raise UsageError(f"{target}: the library {path} has no routine {func!r}; it has {', '.join(names) or 'none'}")
    if not names:
        raise UsageError(f"{target}: the library {path} holds no routine")
    return func or names[0]


def library_assembly(target: str, values, memory, stack):
    """LIBRARY_DIR[:ROUTINE] for a hard run, without torch: the manifest's routines recompiled and
    checked against their saved program hashes (nclib/runtime/manifest.py); the soft-mode tensors, which a
    hard run does not read, are not loaded."""
    from nclib.runtime.manifest import manifest_assemblies, read_saved

    check_library_target(target, values, memory, stack)
    path = split_target(target)[0]
    manifest, _ = read_saved(path)
    assemblies = {asm.entry: asm for asm in manifest_assemblies(manifest, where=path)}
    return assemblies[pick_routine(target, list(assemblies))]


def compile_file(target: str, values, memory, stack):
    """FILE.py[:FUNC] compiled (an Assembly; neither torch nor the Program around it is loaded)."""
    from nclib.compiler import compile_text

    path, func = split_target(target)
    p = Path(path)
    if not p.is_file():
        raise UsageError(f"{target}: no such file or library directory: {path} (give FILE.py[:FUNC] or LIBRARY_DIR[:ROUTINE])")
    source = p.read_text()
    try:
        defined = [n.name for n in ast.parse(source, filename=str(p)).body if isinstance(n, ast.FunctionDef)]
    except SyntaxError as err:
        err.filename = str(p)
        raise
    if func and func not in defined:
        raise UsageError(f"{target}: {path} defines no function {func!r}; it defines {', '.join(defined) or 'none'} "
                         f"(use {path}:NAME)")
    given = {"values": tuple(values) if values is not None else None, "memory": memory, "stack": stack}
    options = {name: value for name, value in given.items() if value is not None}  # the rest: nclib.compile's defaults
    return compile_text(source, func or None, file=str(p), **options)


def parse_args(prog, texts: list[str]) -> list:
    """Command-line texts -> Python ints and lists of ints for `prog` (a Program or an Assembly;
    usage errors otherwise)."""
    args = []
    for text in texts:
        shown = repr(text) if len(text) <= 60 else f"{text[:40]!r}... ({len(text):,} characters)"
        try:
            value = ast.literal_eval(text)
        except (ValueError, SyntaxError) as err:
            if "integer string conversion" in str(err):  # Python refuses to read ints of over 4,300 digits
                raise UsageError(f"argument {shown} is an integer of more than {sys.get_int_max_str_digits():,} digits, "
                                 "outside every value window (and Python's limit for reading one)") from None
            value = None
        except (TypeError, MemoryError, RecursionError):
            value = None
        is_int = isinstance(value, int) and not isinstance(value, bool)
        if not (is_int or (isinstance(value, list) and all(isinstance(x, int) and not isinstance(x, bool) for x in value))):
            raise UsageError(f"argument {shown} is not an int or a list of ints (e.g. 12 or '[3, 1, 2]')")
        args.append(value)
    name = getattr(prog, "name", None) or prog.entry
    if len(args) != len(prog.params):
        raise UsageError(f"{name} takes {len(prog.params)} arguments ({', '.join(prog.params)}), got {len(args)}: "
                         f"{' '.join(texts) or 'none'}")
    return args


def check_hard(prog: nclib.Program, args: list, max_steps: int | None) -> int:
    """Run `args` on the hard machine and raise its error (value window, fault, no halt), naming
    the source line; returns its number of steps. Soft mode on one-hot inputs follows the hard
    machine's path exactly, so this is the error a soft run would hide."""
    res = prog.execute(*prog.encode([copy.deepcopy(args)], "hard"), max_steps=max_steps)
    prog.raise_for_fault(res, 0)
    return int(res.steps[0])


def run_soft(prog: nclib.Program, args: list, max_steps: int | None, trace: bool = False) -> nclib.ExecResult:
    """The soft machine on one-hot `args`, after the hard machine found no error; raises
    StepLimitError if its halted mass stays below 1 - 1e-4."""
    import torch

    steps = check_hard(prog, args, max_steps)
    limit = max_steps or max(10_000, steps + 1)
    with torch.no_grad():  # nothing is trained here; no autograd also skips checkpointing (which imports torch._dynamo)
        res = prog.execute(*prog.encode([args], "soft"), mode="soft", max_steps=limit, trace=trace)
    halted = float(res.halted[0])
    if halted < 1 - 1e-4:
        raise StepLimitError(f"{prog.name}: the soft machine's halted mass is {halted:.6f} after max_steps={limit} steps "
                             f"(the hard machine halts after {steps}); raise --max-steps")
    return res


def show(prog: nclib.Program, res: nclib.ExecResult, mode: str):
    """Element 0 of a result, for printing."""
    value = prog.decode(res, mode)[0]
    return f"None (list arguments after the call: {value})" if prog.returns == "none" else value


@contextlib.contextmanager
def writing(path, what: str):
    """An OSError while writing `what` to `path` becomes an NclibError naming the path the user
    gave (not a temporary sibling of it)."""
    from nclib.util.atomic import SaveError

    try:
        yield
    except SaveError:  # a refusal before anything was written: its message says what to do
        raise
    except OSError as err:
        raise NclibError(f"cannot write {what} to {str(path)!r}: {err.strerror or err}; choose a writable path") from err


def cmd_compile(a) -> None:
    prog = load_program(a.target, a.values, a.memory, a.stack)
    with writing(a.output, "the library"):
        nclib.Library([prog]).save(a.output, overwrite=a.overwrite)
    print(f"compiled {prog!r} -> {a.output}")


def cmd_run(a) -> None:
    if not a.soft:  # hard mode: no torch (nclib/runtime/call.py)
        from nclib.runtime.call import call_hard

        load = library_assembly if Path(split_target(a.target)[0]).is_dir() else compile_file
        asm = load(a.target, a.values, a.memory, a.stack)
        args = parse_args(asm, a.args)
        before = copy.deepcopy(args)
        print(call_hard(asm, args, a.max_steps or 1_000_000))
        for param, old, new in zip(asm.params, before, args):
            if isinstance(new, list) and new != old:  # changed in place (e.g. a sort that returns None)
                print(f"{param} = {new}")
        return
    prog = load_program(a.target, a.values, a.memory, a.stack)
    res = run_soft(prog, parse_args(prog, a.args), a.max_steps)
    print(show(prog, res, "soft"))
    print(f"steps {float(res.steps[0]):.1f}, halted mass {float(res.halted[0]):.6f}")


def cmd_disasm(a) -> None:
    if Path(a.target).is_dir() and ":" not in a.target:
        load_program(a.target, a.values, a.memory, a.stack)  # refuses compile options on a saved library
        for prog in nclib.Library.load(a.target):
            print(prog.listing(), end="\n\n")
        return
    if Path(split_target(a.target)[0]).is_dir():
        print(load_program(a.target, a.values, a.memory, a.stack).listing())
    else:
        print(compile_file(a.target, a.values, a.memory, a.stack).listing())  # no torch


def cmd_trace(a) -> None:
    """Hard mode: the trace is drawn up to where the machine stopped, then its error (if any) is
    raised. Soft mode: the hard machine's error is raised before anything is drawn."""
    from nclib.evals.trace import check_image_path, plot_trace

    check_image_path(a.output)
    prog = load_program(a.target, a.values, a.memory, a.stack)
    args = parse_args(prog, a.args)
    call = f"{prog.name}{tuple(args)}"
    if a.soft:
        res = run_soft(prog, args, a.max_steps, trace=True)
        with writing(a.output, "the trace"):
            path = plot_trace(prog, res, a.output, title=f"{call} = {show(prog, res, 'soft')} (soft)")
        print(f"wrote {path} ({len(res.trace)} steps)")
        return
    res = prog.execute(*prog.encode([copy.deepcopy(args)], "hard"), trace=True, max_steps=a.max_steps)
    try:
        prog.raise_for_fault(res, 0)
    except NclibError as err:
        with writing(a.output, "the trace"):
            path = plot_trace(prog, res, a.output, title=f"{call} stopped: {type(err).__name__} (hard)")
        print(f"wrote {path} ({len(res.trace)} steps, up to the error)")
        raise
    with writing(a.output, "the trace"):
        path = plot_trace(prog, res, a.output, title=f"{call} = {show(prog, res, 'hard')} (hard)")
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
    from nclib.evals.trace import plot_trace

    out = Path(a.out)
    with writing(out, "the check's outputs"):
        (out / "listings").mkdir(parents=True, exist_ok=True)
    start = time.time()
    lib = nclib.stdlib()
    lib.save(out / "stdlib", overwrite=True)  # the check's own output folder, rewritten on every run
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
        raise NclibError(f"{failures} routine/mode pair(s) disagree with CPython (see the table above)")


def cmd_train(a) -> None:
    from nclib.runtime.library_spec import LibrarySpecError
    from nclib.train.finetune import ConfigError, recipe_main
    from nclib.data.userdata import DatasetError

    try:
        recipe_main([a.config] + (["--stop-at", str(a.stop_at)] if a.stop_at is not None else []) + (["--set", *a.set] if a.set else [])
                    + (["--overwrite"] if a.overwrite else []))
    except (ConfigError, DatasetError, LibrarySpecError) as err:
        # the config file (or --set) and the data and routines it names are the command's input: usage errors
        raise UsageError(str(err)) from None


def load_eval_model(spec: str):
    """'smollm2' (the zero-shot backbone) or a saved model directory (NCLlama or LLaMA) -> (model, tokenizer)."""
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from nclib.tasks.task_model import load_backbone

    if spec in ("smollm2", "tiny"):
        return load_backbone(spec)
    if not Path(spec).is_dir():
        raise UsageError(f"--model {spec!r}: expected 'smollm2' or a saved model directory (e.g. out/main/augmented/final)")
    return AutoModelForCausalLM.from_pretrained(spec), AutoTokenizer.from_pretrained(spec)


def cmd_eval(a) -> None:
    """Exact match of several models on the same rows, printed side by side."""
    from tqdm.auto import tqdm

    from nclib.evals.exact_match import evaluate_rows, sample_rows, write_results
    from nclib.tasks import TASKS, build_task, load_task

    specs = []
    for item in a.model:
        name, sep, spec = item.partition("=")
        if not sep or not name or not spec:
            raise UsageError(f"--model expects NAME=PATH_OR_smollm2, got {item!r}")
        if spec not in ("smollm2", "tiny") and not Path(spec).is_dir():
            raise UsageError(f"--model {item!r}: {spec} is neither 'smollm2' nor a saved model directory "
                             f"(e.g. out/main/augmented/final)")
        specs.append((name, spec))
    names = [n for n, _ in specs]
    if len(set(names)) != len(names):
        raise UsageError(f"model names must be distinct, got {names}")
    unknown = [t for t in a.tasks if t not in TASKS]
    if unknown:
        raise UsageError(f"--tasks: unknown task(s) {unknown}; choose from {', '.join(TASKS)}")
    if a.no_call and (a.no_call_reference or next((n for n, s in specs if s == "smollm2"), None)) not in names:
        raise UsageError(f"--no-call compares per-token losses with a reference model; name one with "
                         f"--no-call-reference NAME or evaluate smollm2 too (models: {names})")
    if a.threads:
        import torch

        torch.set_num_threads(a.threads)
    rows = []
    for task in a.tasks:
        path = Path(a.data) / task
        if not path.exists():
            build_task(task, n_train=a.n_train, n_test=a.n_test, seed=a.seed).save_to_disk(str(path))
        dd = load_task(path)
        splits = a.splits or [s for s in dd if s.startswith("test")]
        missing = [s for s in splits if s not in dd]
        if missing:
            raise UsageError(f"--splits: {path} has no split(s) {missing}; it has {list(dd)}")
        rows += sample_rows(dd, splits, a.n, a.seed)
    passages = []
    if a.no_call:
        from nclib.data.corpus import ordinary_passages

        passages = ordinary_passages("test", a.no_call, seed=a.seed)
        reference = a.no_call_reference or next((n for n, s in specs if s == "smollm2"), None)
    records, ordinary = [], []
    began = time.time()
    for name, spec in specs:
        model, tok = load_eval_model(spec)
        with tqdm(total=len(rows), desc=f"eval {name}") as bar:
            records += evaluate_rows(model, tok, rows, name, batch_size=a.batch_size, progress=bar)
        if passages:
            from nclib.evals.nocall import no_call_records

            with tqdm(total=len(passages), desc=f"no-call {name}") as bar:
                ordinary += no_call_records(model, tok, passages, name, batch_size=a.batch_size, progress=bar)
        del model
    table = write_results(records, a.out, title="exact match by size: " + ", ".join(names))
    print(table)
    if passages:
        from nclib.evals.nocall import write_no_call

        print(write_no_call(ordinary, a.out, reference))
    print(f"{len(rows)} rows (+ {len(passages)} ordinary passages) x {len(specs)} models in {time.time() - began:.0f} s; "
          f"predictions, tables and plot in {a.out}")


def build_parser() -> Parser:
    parser = Parser(prog="nclib", description="Neurally compiled libraries: compile Python routines into differentiable programs.")
    sub = parser.add_subparsers(dest="command", required=True)
    positive, natural = int_at_least(1), int_at_least(0)

    def target_options(p):
        p.add_argument("target", help="FILE.py[:FUNC] or a saved LIBRARY_DIR[:ROUTINE]")
        p.add_argument("--values", nargs=2, type=int, default=None, action=WindowAction, metavar=("LO", "HI"),
                       help="value window [LO, HI) (default 0 256)")
        p.add_argument("--memory", type=positive, default=None, help="memory cells (default min(64, HI - 1))")
        p.add_argument("--stack", type=positive, default=None, help="call stack frames (default 16)")

    def max_steps_option(p):
        p.add_argument("--max-steps", type=positive, default=None,
                       help="stop with an error after this many machine steps (default: 1000000 hard; soft: "
                            "max(10000, the hard run's steps + 1)); a loop that repeats a state is reported at once")

    p = sub.add_parser("compile", help="compile a routine and save it as a library")
    target_options(p)
    p.add_argument("-o", "--output", required=True, help="output library directory")
    p.add_argument("--overwrite", action="store_true", help="replace a library already saved in the output directory")
    p.set_defaults(func=cmd_compile)
    p = sub.add_parser("run", help="run a routine on Python literals")
    target_options(p)
    p.add_argument("args", nargs="*", help="arguments as Python literals, e.g. 12 '[3, 1, 2]'")
    p.add_argument("--soft", action="store_true", help="run the soft machine on one-hot inputs (after the hard machine checks them)")
    max_steps_option(p)
    p.set_defaults(func=cmd_run)
    p = sub.add_parser("disasm", help="print the assembly listing")
    target_options(p)
    p.set_defaults(func=cmd_disasm)
    p = sub.add_parser("trace", help="write a PNG of instruction pointer and registers over time")
    target_options(p)
    p.add_argument("args", nargs="*")
    p.add_argument("-o", "--output", required=True, help="image path (.png, or another format matplotlib writes)")
    p.add_argument("--soft", action="store_true")
    max_steps_option(p)
    p.set_defaults(func=cmd_trace)
    p = sub.add_parser("check-stdlib", help="compile, verify against CPython and trace the standard library")
    p.add_argument("--out", default="out/stdlib-check")
    p.add_argument("--n", type=positive, default=1000, help="random inputs per routine (hard mode, one batch)")
    p.add_argument("--n-soft", type=positive, default=64, help="of which run in soft mode too (one batch)")
    p.add_argument("--max-len", type=natural, default=8)
    p.add_argument("--seed", type=int, default=0)
    p.set_defaults(func=cmd_check_stdlib)
    p = sub.add_parser("train", help="run a fine-tuning recipe (train/configs/*.yaml)")
    p.add_argument("config")
    p.add_argument("--stop-at", type=positive, default=None, help="stop after this step as if interrupted; rerun to resume")
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
    p.add_argument("--n", type=positive, default=50, help="rows per task and split (the same rows for every model)")
    p.add_argument("--n-train", type=positive, default=2000)
    p.add_argument("--n-test", type=positive, default=200)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--batch-size", type=positive, default=8)
    p.add_argument("--threads", type=natural, default=0)
    p.add_argument("--out", default="out/eval")
    p.add_argument("--no-call", type=natural, default=0, metavar="N",
                   help="also N held-out ordinary passages (nclib.data.corpus): false-call rate and per-token loss")
    p.add_argument("--no-call-reference", default=None, metavar="NAME",
                   help="the model whose per-token loss the others are compared with (default: the smollm2 one)")
    p.set_defaults(func=cmd_eval)
    from nclib.algeval.cli import add_analyze_parser

    add_analyze_parser(sub)
    return parser


def explain(err: Exception) -> tuple[int, str]:
    """(exit code, message) for an error that stopped a command: 2 for a UsageError, else 1. The
    message is one line, except a CompileError's list of problems (one line each)."""
    if isinstance(err, UsageError):
        return 2, str(err)
    if isinstance(err, CompileError):
        return 1, str(err.problems[0]) if len(err.problems) == 1 else str(err)
    if isinstance(err, NclibError):
        return 1, str(err)
    if isinstance(err, SyntaxError):
        return 1, f"{err.filename}:{err.lineno}:{err.offset}: the source is not valid Python: {err.msg}"
    if isinstance(err, OSError):
        if err.strerror and err.filename:
            return 1, f"{err.strerror}: {err.filename}" + (f" -> {err.filename2}" if err.filename2 else "")
        return 1, " ".join(str(err).split())
    if isinstance(err, MemoryError):
        return 1, f"out of memory{': ' + str(err) if str(err) else ''}; try a smaller batch, window or input"
    if isinstance(err, (ValueError, TypeError)):
        return 1, " ".join(str(err).split())
    return 1, f"unexpected {type(err).__name__}: {' '.join(str(err).split())} (rerun with --debug for the traceback)"


def main(argv: list[str] | None = None) -> None:
    """Run one command. Errors end it with one line on stderr and SystemExit(2) (usage) or
    SystemExit(1) (anything else); `--debug` re-raises them with their traceback."""
    a = build_parser().parse_args(argv)
    command = " ".join(["nclib", a.command] + ([a.analyze_command] if a.command == "analyze" else []))
    debug = getattr(a, "debug", False)
    try:
        a.func(a)
    except KeyboardInterrupt:
        if debug:
            raise
        print(f"{command}: interrupted", file=sys.stderr)
        raise SystemExit(130) from None
    except Exception as err:  # noqa: BLE001  (the one boundary where every error becomes a message)
        if debug:
            raise
        code, message = explain(err)
        print(f"{command}: error: {message}", file=sys.stderr)
        raise SystemExit(code) from None


if __name__ == "__main__":
    main()
