"""Differential fuzzing soak: many generated programs, nclib against CPython (issue 29, item 9).

    python benchmarks/fuzz_soak.py --n 100000 --seed 1 --soft-every 40 --out results/fuzz_soak.md
    python benchmarks/fuzz_soak.py --n 500 --seed 1 --soft-every 40 --out /tmp/fuzz_500.md   # throughput first
    # a stopped run resumes at its last checkpoint (every 1000 programs), then one report:
    python benchmarks/fuzz_soak.py --n 100000 --start 24000 --seed 1 --out /tmp/soak_rest.md
    python benchmarks/fuzz_soak.py --merge out/fuzz_soak.json out/soak_rest.json --sequential --out results/fuzz_soak.md
    # side by side on a machine with cores to spare, then one report:
    for k in 0 1; do python benchmarks/fuzz_soak.py --n 100000 --shard $k/2 --out /tmp/soak$k.md & done; wait
    python benchmarks/fuzz_soak.py --merge out/soak0.json out/soak1.json --out results/fuzz_soak.md

Program i of seed S is `nclib.fuzz.generate.generate(S, i)` (the same text every time); each is
checked by `nclib.fuzz.differential.check_program`: compiled, run on 8 seeded inputs in hard mode
against CPython, and every K-th program (`--soft-every K`) also in soft mode by argmax on up to 2
small inputs. Writes the counts (programs, compiled, inputs, hard and soft comparisons,
mismatches, crashes, rejections by reason, machine resource stops) with the command, machine,
date and commit to --out (markdown); every mismatch or crash is listed with
its program and input, so it can be replayed with `generate(S, i)` (the JSON, with each finding's
source, goes to out/<name>.json).
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import subprocess
import sys
import time
import warnings
from collections import Counter
from pathlib import Path

import torch

from nclib.fuzz.differential import HARD_INPUTS, SOFT_INPUTS, check_program
from nclib.fuzz.generate import generate

ROOT = Path(__file__).resolve().parents[1]
COUNTS = ("programs", "compiled", "rejected", "inputs", "hard", "soft", "soft_programs", "python_raised", "window",
          "mismatches", "crashes")


def soak(seed: int, indices: range, soft_every: int, progress: int = 1000, checkpoint=None) -> dict:
    """Check programs `indices` of `seed`; the counts, rejections and resource stops by reason, and
    every finding (mismatch or crash) with its program and input. Every `progress` programs the
    counts so far go to `checkpoint(result, done)` (so a run stopped early still leaves a report)."""
    counts, rejections, resource, findings = Counter(), Counter(), Counter(), []
    start = time.perf_counter()
    for done, i in enumerate(indices, 1):
        program = generate(seed, i)
        soft = soft_every > 0 and i % soft_every == 0
        rep = check_program(program, soft=soft)
        counts["programs"] += 1
        counts["compiled"] += rep.compiled
        counts["rejected"] += bool(rep.rejected)
        if rep.rejected:
            rejections[rep.rejected] += 1
        counts["inputs"] += rep.hard + sum(rep.resource.values()) + rep.soft
        counts["hard"] += rep.hard
        counts["soft"] += rep.soft
        counts["soft_programs"] += rep.soft > 0
        counts["python_raised"] += rep.python_raised
        counts["window"] += rep.window
        counts["mismatches"] += len(rep.findings)
        resource.update(rep.resource)
        if rep.crash:
            counts["crashes"] += 1
            findings.append({"program": program.name, "mode": "crash", "verdict": rep.crash, "args": [], "python": "",
                             "nclib": "", "source": program.source})
        findings += [f.__dict__ for f in rep.findings]
        if progress and done % progress == 0:
            rate = done / (time.perf_counter() - start)
            print(f"{done}/{len(indices)} programs, {rate:.1f}/s, mismatches {counts['mismatches']}, "
                  f"crashes {counts['crashes']}, rejected {counts['rejected']}", flush=True)
            if checkpoint is not None and done < len(indices):
                checkpoint({"counts": dict(counts), "rejections": dict(rejections), "resource": dict(resource),
                            "findings": findings}, done)
    return {"counts": dict(counts), "rejections": dict(rejections), "resource": dict(resource), "findings": findings}


def environment() -> dict:
    def git(*args) -> str:
        try:
            return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, check=True).stdout.strip()
        except (OSError, subprocess.CalledProcessError):
            return "unknown"

    dirty = git("status", "--porcelain", "--", "nclib")
    return {"date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
            "machine": f"{os.cpu_count()}-core {platform.machine()} CPU, torch threads {torch.get_num_threads()}",
            "python": platform.python_version(), "torch": torch.__version__,
            "load": " ".join(f"{x:.1f}" for x in os.getloadavg()),
            "commit": git("rev-parse", "--short", "HEAD") + (" + uncommitted nclib edits" if dirty else "")}


def write_report(run: dict, path: Path) -> None:
    """The markdown report at `path`, and the whole run (findings with their sources) as JSON at
    out/<name>.json (kept out of results/: the findings' sources make it large; `--merge` reads it)."""
    c, env = Counter(run["counts"]), run["environment"]
    lines = [
        "# Differential fuzzing soak: generated programs, nclib against CPython",
        "",
        f"`{run['command']}` — {env['date']}, {env['machine']}, Python {env['python']}, torch {env['torch']}, "
        f"commit {env['commit']}; {run['seconds']:.0f} s wall clock ({c['programs'] / max(run['seconds'], 1e-9):.1f} "
        f"programs/s; load at the end {env['load']}, the machine was shared).",
        "",
        f"Programs `nclib.fuzz.generate.generate(seed, i)` for seed {run['seed']}, i in {run['indices']}; each compiled "
        f"and run on {HARD_INPUTS} seeded inputs in hard mode against CPython (an instrumented copy checks every "
        "arithmetic result against the value window); every "
        f"{run['soft_every']}-th program also in soft mode, by argmax, on up to {SOFT_INPUTS} small inputs whose exact "
        "run fits the soft window [-32, 32) in at most 600 steps.",
        "",
        *([run["note"], ""] if run.get("note") else []),
        "## Counts",
        "",
        *([f"**Partial run** ({run['partial']}); the counts below are of those programs.", ""] if run.get("partial") else []),
        f"- programs: **{c['programs']}**; compiled: **{c['compiled']}**; rejected with CompileError: {c['rejected']}",
        f"- inputs run: {c['inputs']}; hard comparisons: **{c['hard']}** ({c['python_raised']} where CPython raised, "
        f"{c['window']} where a value left the window in both); soft comparisons: **{c['soft']}** "
        f"(on {c['soft_programs']} programs)",
        f"- mismatches: **{c['mismatches']}**; crashes: **{c['crashes']}**",
        "- machine resource stops (not mismatches: the machine's fixed memory never frees a list, fixed stack, "
        "step limit): " + (", ".join(f"{k} {v}" for k, v in sorted(run["resource"].items())) or "none"),
        "",
        "## Rejections by reason",
        "",
    ]
    lines += [f"- {n}: {_md(reason)}" for reason, n in sorted(run["rejections"].items(), key=lambda kv: -kv[1])] or ["- none"]
    if run["findings"]:
        lines += ["", "## Mismatches and crashes", ""]
        for f in run["findings"]:
            lines.append(f"- `{f['program']}` {f['mode']} {f['args']}: {_md(f['verdict'])}; CPython {_md(f['python'])}; "
                         f"nclib {_md(f['nclib'])}")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n")
    data = json_path(path)
    data.parent.mkdir(parents=True, exist_ok=True)
    data.write_text(json.dumps(run, indent=1) + "\n")


def json_path(report: Path) -> Path:
    return ROOT / "out" / report.with_suffix(".json").name


def _md(text: str) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def merge(paths: list[str], out: Path, sequential: bool = False, note: str = "") -> None:
    """One report from the JSON outputs of `--shard` runs (wall clock: the longest shard) or, with
    `sequential`, of runs one after the other (`--start` resuming a stopped run; wall clock: the
    sum). `note`: a paragraph for the report (what happened between the runs)."""
    runs = [json.loads(Path(p).read_text()) for p in paths]
    merged = {k: Counter() for k in ("counts", "rejections", "resource")}
    for run in runs:
        for k in merged:
            merged[k].update(run[k])
    joined = "; ".join if sequential else " & ".join
    command = joined([r["command"] for r in runs]) + "; python benchmarks/fuzz_soak.py --merge " + " ".join(paths)
    seconds = [r["seconds"] for r in runs]
    first = {k: v for k, v in runs[0].items() if k != "partial"}
    first["environment"] = {**runs[-1]["environment"], "date": " to ".join(r["environment"]["date"] for r in runs)}
    write_report({**first, **{k: dict(v) for k, v in merged.items()}, "command": command, "note": note,
                  "indices": " + ".join(r["indices"] for r in runs), "seconds": sum(seconds) if sequential else max(seconds),
                  "findings": [f for r in runs for f in r["findings"]]}, out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=100_000, help="programs")
    parser.add_argument("--start", type=int, default=0, help="first program index (resume a stopped run at its last "
                        "checkpoint, then --merge both outputs)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--soft-every", type=int, default=25, help="soft mode on every K-th program (0: never)")
    parser.add_argument("--shard", default="", help="i/n: programs i, i + n, i + 2n, ... of the --n")
    parser.add_argument("--merge", nargs="+", metavar="JSON", help="combine shard outputs into --out")
    parser.add_argument("--sequential", action="store_true", help="--merge: the runs ran one after the other")
    parser.add_argument("--note", default="", help="--merge: a paragraph for the report")
    parser.add_argument("--out", default=str(ROOT / "results" / "fuzz_soak.md"))
    args = parser.parse_args()
    out = Path(args.out)
    if args.merge:
        merge(args.merge, out, args.sequential, args.note)
        return
    indices = range(args.start, args.n)
    if args.shard:
        k, n = (int(x) for x in args.shard.split("/"))
        if not 0 <= k < n:
            raise SystemExit(f"--shard {args.shard}: i must be in 0..n-1")
        indices = range(args.start + k, args.n, n)
    torch.set_num_threads(1)  # thousands of tiny ops: one thread, on a shared machine
    warnings.filterwarnings("ignore", message=".* is not compiled")  # helpers the entry never calls
    start = time.perf_counter()
    command = ("python benchmarks/fuzz_soak.py " + " ".join(sys.argv[1:])).strip()
    threads = " ".join(f"{k}={os.environ[k]}" for k in ("OMP_NUM_THREADS", "MKL_NUM_THREADS") if k in os.environ)
    command = (f"nice -n {os.nice(0)} " if os.nice(0) else "") + (f"env {threads} " if threads else "") + command

    def report(result: dict, done: int | None = None) -> dict:
        run = {"command": command, "seed": args.seed, "soft_every": args.soft_every,
               "indices": f"range({indices.start}, {indices.stop}, {indices.step})",
               "seconds": time.perf_counter() - start, "environment": environment(), **result}
        if done is not None:
            run["partial"] = f"in progress or stopped: the first {done} of {len(indices)} programs"
            part = indices[:done]
            run["indices"] = f"range({part.start}, {part.stop}, {part.step})"
        write_report(run, out)
        return run

    run = report(soak(args.seed, indices, args.soft_every, checkpoint=report))
    c = run["counts"]
    print(f"{c.get('programs', 0)} programs, {c.get('compiled', 0)} compiled, {c.get('hard', 0)} hard and "
          f"{c.get('soft', 0)} soft comparisons, {c.get('mismatches', 0)} mismatches, {c.get('crashes', 0)} crashes "
          f"in {run['seconds']:.0f} s -> {out}")


if __name__ == "__main__":
    main()
