"""The no-call check: does a model leave ordinary text alone?

A model with a reasoning module must not call a routine inside text that merely contains numbers
("A dozen is 12, and a baker's dozen is" must not become " 24"). On held-out passages of real
prose (`nclib.data.corpus`, sources never used in training) this measures, per model:

* the **false-call rate**: the share of passages on which the router fires anywhere in one
  teacher-forced forward over the passage. The router only sees the tokens up to each position, so
  this counts every prefix of the passage at which greedy generation would start a call -- the
  strictest reading ("fired", dropped calls included); "kept" counts the passages that end with a
  call in effect (one whose first written token was the passage's next token, or one fired at the
  last token);
* the **per-token loss**: the mean next-token cross-entropy over the passages' tokens (the
  module's written mass included), to compare with the plain backbone's on the same tokens.

Plain LLaMA models (the baseline, the zero-shot backbone) never fire; their loss is the reference.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F


@torch.no_grad()
def no_call_records(model, tokenizer, passages: list[str], name: str, batch_size: int = 8, progress=None) -> list[dict]:
    """One record per passage: model, passage, tokens (predicted tokens), loss (summed NLL), fired,
    kept."""
    from nclib.tasks.task_model import collate, encode_text

    model.eval()
    pad = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else tokenizer.eos_token_id
    records = []
    for start in range(0, len(passages), batch_size):
        chunk = passages[start:start + batch_size]
        batch = collate(encode_text(chunk, tokenizer), pad)  # labels: every token after the first
        out = model(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"])
        labels = batch["labels"][:, 1:]  # [B, T-1]
        logp = F.log_softmax(out.logits[:, :-1].float(), -1)  # [B, T-1, vocab]
        nll = -logp.gather(-1, labels.clamp_min(0)[..., None])[..., 0] * (labels >= 0)  # [B, T-1]
        fired = getattr(out, "nc_fired", None)
        trigger = getattr(out, "nc_trigger", None)
        for b, p in enumerate(chunk):
            records.append({"model": name, "passage": p, "tokens": int((labels[b] >= 0).sum()), "loss": float(nll[b].sum()),
                            "fired": bool(fired is not None and int(fired[b]) > 0),
                            "kept": bool(trigger is not None and int(trigger[b]) >= 0)})
        if progress is not None:
            progress.update(len(chunk))
    return records


def no_call_summary(records: list[dict], reference: str | None = None) -> dict:
    """{model: {passages, false_call_rate, kept_rate, token_loss, loss_change}}; loss_change is the
    relative change of the per-token loss against `reference` (a model name among the records)."""
    out = {}
    for name in dict.fromkeys(r["model"] for r in records):
        mine = [r for r in records if r["model"] == name]
        tokens = sum(r["tokens"] for r in mine)
        out[name] = {"passages": len(mine), "false_call_rate": sum(r["fired"] for r in mine) / len(mine),
                     "kept_rate": sum(r["kept"] for r in mine) / len(mine),
                     "token_loss": sum(r["loss"] for r in mine) / max(1, tokens)}
    if reference is not None:
        if reference not in out:
            raise ValueError(f"no-call reference model {reference!r} is not among the evaluated models {list(out)}")
        ref = out[reference]["token_loss"]
        for row in out.values():
            row["loss_change"] = row["token_loss"] / ref - 1.0
    return out


def format_no_call(summary: dict) -> str:
    """A markdown table of `no_call_summary`."""
    lines = ["| model | passages | false-call rate | kept calls | per-token loss | change vs reference |",
             "|---|---|---|---|---|---|"]
    for name, s in summary.items():
        change = f"{100 * s['loss_change']:+.2f} %" if "loss_change" in s else "-"
        lines.append(f"| {name} | {s['passages']} | {100 * s['false_call_rate']:.1f} % | {100 * s['kept_rate']:.1f} % | "
                     f"{s['token_loss']:.4f} | {change} |")
    return "\n".join(lines)


def write_no_call(records: list[dict], out_dir, reference: str | None = None) -> str:
    """nocall.md (the table), nocall.json (the summary) and nocall_records.jsonl under out_dir;
    returns the table."""
    import json

    from nclib.util.atomic import atomic_directory

    own = ("nocall.md", "nocall.json", "nocall_records.jsonl")
    summary = no_call_summary(records, reference)
    table = format_no_call(summary)
    with atomic_directory(out_dir, keep=lambda name: name not in own) as out:  # the three replace the old ones together
        (out / "nocall.md").write_text(table + "\n")
        (out / "nocall.json").write_text(json.dumps(summary, indent=1) + "\n")
        (out / "nocall_records.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records))
    return table


__all__ = ["format_no_call", "no_call_records", "no_call_summary", "write_no_call"]
