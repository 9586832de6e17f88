"""Exact-match evaluation: the one-forward-pass reading equals greedy decoding, the table and the
plot are written, and the task models read the dataset rows the way the datasets say."""

from __future__ import annotations

import json

import pytest
import torch
from transformers import LlamaConfig, LlamaForCausalLM

from nclib.evals.exact_match import accuracy_table, evaluate_rows, format_table, write_results
from nclib.model.defaults import load_smollm2_tokenizer
from nclib.tasks.task_model import build_augmented, collate, encode_rows, task_library
from nclib.tasks import TASKS, TaskDataError, arg_values, build_task


@pytest.fixture(scope="module")
def tok():
    return load_smollm2_tokenizer()


@pytest.fixture(scope="module")
def rows():
    out = []
    for task in TASKS:
        d = build_task(task, n_train=40, n_test=6, seed=1)
        out += list(d["test_iid"])[:3] + list(d["test_ood"])[:3] + list(d["test_wording"])[:3]
    return out


def tiny_llama(tok, seed=0):
    torch.manual_seed(seed)
    cfg = LlamaConfig(vocab_size=len(tok), hidden_size=32, intermediate_size=64, num_hidden_layers=2, num_attention_heads=4,
                      num_key_value_heads=2, max_position_embeddings=512, eos_token_id=tok.eos_token_id)
    return LlamaForCausalLM(cfg).eval()


pytestmark = pytest.mark.usefixtures("one_thread")


def test_teacher_forced_reading_equals_greedy_decoding(tok, rows):
    model = tiny_llama(tok)
    cont = {tok(str(d), add_special_tokens=False)["input_ids"][0] for d in range(10)} | {tok(",", add_special_tokens=False)["input_ids"][0]}
    records = evaluate_rows(model, tok, rows, "tiny", batch_size=4)
    by_prompt = {r["prompt"]: r for r in records}
    for row in rows:
        rec = by_prompt[row["prompt"]]
        prompt = tok(row["prompt"], add_special_tokens=False, return_tensors="pt").input_ids
        answer = tok(row["answer"], add_special_tokens=False)["input_ids"]
        gen = model.generate(prompt, max_new_tokens=len(answer) + 1, do_sample=False, eos_token_id=None,
                             pad_token_id=tok.eos_token_id)[0, prompt.shape[1]:].tolist()
        assert rec["correct"] == (gen[: len(answer)] == answer and gen[len(answer)] not in cont)
        # the first generated token is the teacher-forced prediction at the last prompt position
        assert rec["prediction"].startswith(tok.decode(gen[:1]))


def test_results_are_written(tmp_path, tok, rows):
    model = tiny_llama(tok)
    records = evaluate_rows(model, tok, rows[:12], "a") + evaluate_rows(model, tok, rows[:12], "b")
    table = write_results(records, tmp_path)
    assert "| task | split | a | b |" in table
    assert (tmp_path / "accuracy_by_size.png").stat().st_size > 1000
    saved = [json.loads(line) for line in (tmp_path / "predictions.jsonl").read_text().splitlines()]
    assert len(saved) == 24 and set(saved[0]) == {"model", "task", "split", "size", "style", "prompt", "answer", "prediction", "correct",
                                                  "seen_in_training"}
    assert "Evaluated rows seen in training (their prompt is a training prompt): 0 of " in table
    acc = accuracy_table(records)["split"]
    assert sum(n for _, n in acc.values()) == 24
    assert format_table(records) == table


def test_task_library_windows_hold_every_answer():
    lib = task_library()
    for task in TASKS:
        d = build_task(task, n_train=50, n_test=50, seed=2)
        prog = lib[{"sort": "insertion_sort", "add": "add", "fib": "fib_iter", "gcd": "gcd", "graph": "reachable"}[task]]
        for split in ("test_iid", "test_ood"):
            batch = list(d[split])
            for row in batch:
                assert max(row["target"]) < prog.lo + prog.V, (task, row["target"])
            calls = []
            for row in batch:
                vals = arg_values(row["prompt"], row["args"])  # the values the args point at, as the dataset defines them
                calls.append(tuple(v if kind == "list" else v[0] for v, kind in zip(vals, prog.param_kinds)))
            res = prog.execute(*prog.encode(calls), max_steps=200_000)
            assert (res.fault == 0).all() and (res.overflow_line < 0).all(), (task, split)
            got = prog.decode(res)
            want = [row["target"] if prog.returns != "int" else row["target"][0] for row in batch]
            if prog.returns == "none":
                got = [g[0] for g in got]
            assert got == want, (task, split)


def test_augmented_model_reads_the_dataset_values(tok, rows):
    model = build_augmented(LlamaConfig(vocab_size=len(tok), hidden_size=32, intermediate_size=64, num_hidden_layers=1,
                                        num_attention_heads=4, num_key_value_heads=2), tok)
    enc = encode_rows(rows, tok, model.reasoning.vocab)
    routines = [r["name"] for r in model.config.nc_routines]
    batch = collate(enc, tok.eos_token_id, routines, model.config.nc_max_args, model.config.nc_max_list_len)
    batch.pop("prompt_len")
    batch.pop("trigger")
    with torch.no_grad():
        out = model.eval()(**batch)
    assert (out.nc_status == 1).all(), out.nc_status
    # teacher-forced call in hard mode: the tape is the exact answer, so every answer token is the argmax
    pred = out.logits.argmax(-1)
    labels = batch["labels"]
    ok = ((pred[:, :-1] == labels[:, 1:]) | (labels[:, 1:] == -100)).all(1)
    assert ok.all(), [r["prompt"] for r, good in zip(rows, ok) if not good]
    for row, args in zip(rows, out.nc_args):
        want = [v if len(a) > 1 or row["routine"] == "insertion_sort" or (row["routine"] == "reachable" and j == 0) else v[0]
                for j, (v, a) in enumerate(zip(arg_values(row["prompt"], row["args"]), row["args"]))]
        assert args == want, row["prompt"]


def test_a_row_the_model_cannot_read_is_refused(tok):
    model = build_augmented(LlamaConfig(vocab_size=len(tok), hidden_size=32, intermediate_size=64, num_hidden_layers=1,
                                        num_attention_heads=4, num_key_value_heads=2), tok, tasks=("graph",))
    row = {"task": "graph", "prompt": "lobby has a door to A. Can you get to A from lobby?", "answer": " Yes",
           "routine": "reachable", "args": [[0, 1], [3], [2]]}
    with pytest.raises(TaskDataError, match="does not read the value 'lobby'"):
        encode_rows([row], tok, model.reasoning.vocab)


def test_rows_seen_in_training_are_marked_and_counted():
    """sample_rows marks a test row whose prompt is a training prompt; the table counts them."""
    import datasets

    from nclib.evals.exact_match import sample_rows

    def row(prompt, split):
        return {"task": "t", "split": split, "size": 1, "style": "user", "prompt": prompt, "answer": "1"}

    dd = datasets.DatasetDict({"train": datasets.Dataset.from_list([row("a = ", "train"), row("b = ", "train")]),
                               "test": datasets.Dataset.from_list([row("a = ", "test"), row("c = ", "test")])})
    rows = sample_rows(dd, ["test"], 10)
    assert sorted((r["prompt"], r["seen_in_training"]) for r in rows) == [("a = ", True), ("c = ", False)]
    records = [{**r, "model": m, "prediction": "1", "correct": True} for m in ("x", "y") for r in rows]
    assert format_table(records).endswith("Evaluated rows seen in training (their prompt is a training prompt): 1 of 2.")
