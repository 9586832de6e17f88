"""Forward+backward time and peak memory: SmolLM2-135M-Instruct plain vs with the reasoning module.

    python benchmarks/bench_model.py --out results/model_overhead.md          # CPU, all variants
    python benchmarks/bench_model.py --device cuda --out results/model_overhead_cuda.md

Timing: all variants in one process sharing one backbone, interleaved round by round so that they
see the same machine load. Peak memory: one step of each variant in its own fresh process.
Batches: prompt + answer, labels = input ids; plain/closed/add use the same addition batch. Variants:
  plain-add      LlamaForCausalLM (the embedded SmolLM2) on the addition batch, loss.backward()
  ncllama-closed NCLlamaForCausalLM wrapping it, same batch; the module does not fire (router closed)
  ncllama-add    same batch, every example calls `add` (teacher-forced routing/arguments, router/reader losses)
  plain-sort     LlamaForCausalLM on the sorting batch (6 numbers per prompt)
  ncllama-sort   same batch, every example calls `insertion_sort` on its list
  ncllama-sort-pointer  same, but the arguments come from the reader's pointer (not forced), so
                 the backward pass runs through the machine (list-membership bias set so that the
                 untrained pointer selects the prompt's numbers; the correctness gate checks it)
Correctness gate: before timing, the wrapped model must reproduce the plain logits (closed) and,
for the call variants, its greedy argmax at the answer positions must equal the exact answers;
the script refuses to report a variant that fails it.
Peak memory: the first forward+backward in a fresh process (gradient buffers included); CUDA:
torch.cuda.max_memory_allocated growth; CPU: the peak of the process RSS sampled every 2 ms during
the step, minus the RSS just before it.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import statistics
import subprocess
import sys
import threading
import time

VARIANTS = ("plain-add", "ncllama-closed", "ncllama-add", "plain-sort", "ncllama-sort", "ncllama-sort-pointer",
            "ncllama-sort-worlds")
BASELINE = {"plain-add": "plain-add", "ncllama-closed": "plain-add", "ncllama-add": "plain-add",
            "plain-sort": "plain-sort", "ncllama-sort": "plain-sort", "ncllama-sort-pointer": "plain-sort",
            "ncllama-sort-worlds": "plain-sort"}


def make_batch(tok, variant: str, batch: int, seed: int, window: int = 256):
    rng = random.Random(seed)
    prompts, answers, routines, args = [], [], [], []
    for _ in range(batch):
        if variant == "ncllama-sort":
            xs = [rng.randrange(0, min(window, 100)) for _ in range(6)]
            prompts.append("Sort: " + " ".join(map(str, xs)) + " ->")
            answers.append(", ".join(map(str, sorted(xs))))
            routines.append("insertion_sort")
            args.append([list(range(6))])
        else:
            a, b = rng.randrange(0, window // 2), rng.randrange(0, window // 2)  # the sum stays in the window
            prompts.append(f"What is {a}+{b}? Answer:")
            answers.append(str(a + b))
            routines.append("add")
            args.append([[0], [1]])
    return prompts, answers, routines, args


def _rss_bytes() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


class RssPeak:
    """Peak RSS during a block, sampled by a thread (CPU memory has no allocator statistics)."""

    def __enter__(self):
        self.start, self.peak, self._stop = _rss_bytes(), 0, threading.Event()

        def sample():
            while not self._stop.is_set():
                self.peak = max(self.peak, _rss_bytes())
                time.sleep(0.002)

        self._t = threading.Thread(target=sample, daemon=True)
        self._t.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._t.join()
        self.peak = max(self.peak, _rss_bytes())


def setup(args):
    """-> (step functions by variant, gate results by variant, batch info). Variants share one backbone."""
    import torch

    import nclib
    from nclib.model import CallStatus, NCLlamaForCausalLM, load_smollm2, load_smollm2_tokenizer

    if args.threads:
        torch.set_num_threads(args.threads)
    dev = torch.device(args.device)
    tok = load_smollm2_tokenizer()
    tok.pad_token = tok.eos_token
    tok.padding_side = "left"
    base = load_smollm2().to(dev)
    lib = nclib.stdlib(values=(0, args.window), memory=args.memory)
    model = NCLlamaForCausalLM.from_base(base, library=[lib[n] for n in ("add", "insertion_sort")], tokenizer=tok).to(dev)
    worlds_model = None
    if "ncllama-sort-worlds" in args.variants:
        # answers-only training's forward: trigger given, routine and arguments not; the router weighs
        # each routine's nc_worlds_top_k worlds, each run exactly on the hard machine
        worlds_model = NCLlamaForCausalLM.from_base(base, library=[lib[n] for n in ("add", "insertion_sort")], tokenizer=tok,
                                                    nc_machine_mode="worlds").to(dev)
    steps, gates, info = {}, {}, {}
    for variant in args.variants:
        prompts, answers, routines, call_args = make_batch(tok, "ncllama-sort" if "sort" in variant else "add",
                                                           args.batch, args.seed, args.window)
        enc = tok([p + " " + a for p, a in zip(prompts, answers)], return_tensors="pt", padding=True)
        ids, mask = enc.input_ids.to(dev), enc.attention_mask.to(dev)
        net, kw = (base, {}) if variant.startswith("plain") else (worlds_model if variant.endswith("worlds") else model, {})
        if variant in ("ncllama-add", "ncllama-sort", "ncllama-sort-pointer", "ncllama-sort-worlds"):
            # left padding: the answer's tokens end every row; the trigger is the token before them
            trig = []
            for b, a in enumerate(answers):
                want = tok(a, add_special_tokens=False).input_ids
                assert ids[b, -len(want):].tolist() == want, (prompts[b], a)
                trig.append(ids.shape[1] - len(want) - 1)
            call = net.reasoning.make_call(ids.cpu(), routines, call_args, trigger=trig, attention_mask=mask.cpu())
            call.trigger, call.routine, call.args = call.trigger.to(dev), call.routine.to(dev), call.args.to(dev)
            if variant == "ncllama-sort-worlds":
                call.routine, call.args = None, None
            if variant == "ncllama-sort-pointer":
                call.args = None
                with torch.no_grad():
                    model.reasoning.reader.list_bias.fill_(4.0)
            kw["nc_call"] = call
        with torch.no_grad():  # correctness gate
            net.eval()
            out = net(ids, attention_mask=mask, **kw)
            if variant == "ncllama-closed":
                gates[variant] = bool(torch.equal(out.logits, base(ids, attention_mask=mask).logits))
            elif variant.startswith("plain"):
                gates[variant] = True
            elif variant == "ncllama-sort-worlds":  # untrained router and reader: the call runs, the answer need not be right
                gates[variant] = bool((out.nc_status == int(CallStatus.CALLED)).all())
            else:
                ok = bool((out.nc_status == int(CallStatus.CALLED)).all())
                pred = out.logits.argmax(-1)
                for b, a in enumerate(answers):
                    want = tok(a, add_special_tokens=False).input_ids
                    t = int(kw["nc_call"].trigger[b])
                    ok &= pred[b, t: t + len(want)].tolist() == want
                gates[variant] = ok

        def step(net=net, ids=ids, mask=mask, kw=kw):
            net.train()
            net.zero_grad(set_to_none=True)
            net(ids, attention_mask=mask, labels=ids, **kw).loss.backward()
            if dev.type == "cuda":
                torch.cuda.synchronize()

        steps[variant] = step
        info[variant] = {"seq_len": ids.shape[1]}
    device = torch.cuda.get_device_name() if dev.type == "cuda" else platform.processor() or platform.machine()
    return steps, gates, info, device, torch.get_num_threads()


def memory_child(args) -> dict:
    """Peak memory of one forward+backward of one variant, in a fresh process."""
    import torch

    steps, gates, _, _, _ = setup(args)
    step = steps[args.variant]
    # no warm-up: the first step's growth includes the gradient buffers and any lazy set-up, the same
    # for every variant; after a warm-up, CPU RSS hides reused heap memory
    if args.device.startswith("cuda"):
        torch.cuda.reset_peak_memory_stats()
        before = torch.cuda.memory_allocated()
        step()
        return {"peak_mem_mb": (torch.cuda.max_memory_allocated() - before) / 2**20}
    with RssPeak() as rss:
        step()
    return {"peak_mem_mb": (rss.peak - rss.start) / 2**20}


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--device", default="cpu")
    p.add_argument("--batch", type=int, default=8)
    p.add_argument("--repeats", type=int, default=5)
    p.add_argument("--warmup", type=int, default=1)
    p.add_argument("--threads", type=int, default=0, help="torch intra-op threads (0: torch's default)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--window", type=int, default=256, help="library value window [0, window) (stdlib default 256)")
    p.add_argument("--memory", type=int, default=128, help="library memory cells (stdlib default 128)")
    p.add_argument("--variants", nargs="+", default=list(VARIANTS), choices=VARIANTS)
    p.add_argument("--out", help="write a markdown report here")
    p.add_argument("--append", action="store_true", help="append to --out instead of overwriting")
    p.add_argument("--variant", help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.variant:
        args.variants = [args.variant]
        print("RESULT " + json.dumps(memory_child(args)))
        return
    # time: all variants in one process, interleaved round by round, so they see the same machine load
    steps, gates, info, device, threads = setup(args)
    for v in args.variants:
        for _ in range(args.warmup):
            steps[v]()
    times = {v: [] for v in args.variants}
    for _ in range(args.repeats):
        for v in args.variants:
            t0 = time.perf_counter()
            steps[v]()
            times[v].append(time.perf_counter() - t0)
    rows = []
    for v in args.variants:
        q = statistics.quantiles(times[v], n=5) if len(times[v]) >= 2 else [times[v][0]] * 4
        rows.append({"variant": v, "gate_ok": gates[v], "median_s": statistics.median(times[v]), "p20_s": q[0], "p80_s": q[3],
                     "seq_len": info[v]["seq_len"], "threads": threads, "device": device})
    # memory: one fresh process per variant
    for r in rows:
        cmd = [sys.executable, __file__, "--variant", r["variant"], "--device", args.device, "--batch", str(args.batch),
               "--warmup", str(args.warmup), "--threads", str(args.threads), "--seed", str(args.seed),
               "--window", str(args.window), "--memory", str(args.memory)]
        res = subprocess.run(cmd, capture_output=True, text=True)
        line = [ln for ln in res.stdout.splitlines() if ln.startswith("RESULT ")]
        if res.returncode or not line:
            sys.exit(f"memory run of {r['variant']} failed:\n{res.stderr[-4000:]}")
        r.update(json.loads(line[0][7:]))
        print(r, flush=True)
    by_name = {r["variant"]: r for r in rows}
    seq_lens = ", ".join(f"{r['variant']}: {r['seq_len']}" for r in rows)
    import torch
    import transformers

    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip()
    lines = [
        "# NCLlama overhead: SmolLM2-135M-Instruct, forward + backward",
        "",
        f"Command: `python benchmarks/bench_model.py {' '.join(sys.argv[1:])}`  ",
        f"Machine: {platform.node()}, {os.cpu_count()} CPU cores, {platform.platform()}, device `{args.device}` "
        f"({rows[0]['device']}), torch {torch.__version__}, transformers {transformers.__version__}, commit {commit}  ",
        f"Batch: {args.batch} sequences (prompt + answer, left-padded; {seq_lens} tokens), labels = input ids; "
        f"{args.warmup} warm-up step(s), {args.repeats} timed rounds with the variants interleaved in one process, "
        f"torch threads = {rows[0]['threads']}; peak memory from one step per variant in a fresh process. "
        f"Library: `nclib.stdlib(values=(0, {args.window}), memory={args.memory})` routines add, insertion_sort (frozen); "
        "calls teacher-forced (routing and argument positions given, router/reader losses on).",
        "",
        "| variant | correctness gate | median s | p20 s | p80 s | time vs plain (same batch) | peak mem MiB | mem vs plain |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        if not r["gate_ok"]:
            lines.append(f"| {r['variant']} | FAILED | not reported | | | | | |")
            continue
        plain = by_name.get(BASELINE[r["variant"]])
        tr = f"{r['median_s'] / plain['median_s']:.2f}x" if plain else "-"
        mr = f"{r['peak_mem_mb'] / plain['peak_mem_mb']:.2f}x" if plain and plain["peak_mem_mb"] > 0 else "-"
        lines.append(f"| {r['variant']} | ok | {r['median_s']:.3f} | {r['p20_s']:.3f} | {r['p80_s']:.3f} | {tr} | "
                     f"{r['peak_mem_mb']:.0f} | {mr} |")
    text = "\n".join(lines) + "\n"
    print(text)
    if args.out:
        with open(args.out, "a" if args.append else "w") as f:
            f.write(text)


if __name__ == "__main__":
    main()
