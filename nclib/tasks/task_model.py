"""Models for the algorithmic tasks: the task library, building the augmented model and the
baseline from one backbone, and turning dataset rows into training / evaluation batches.

The task library compiles each task's stdlib routine with the task's value window, which holds
every answer of every split (docs/design.md §2.1: arithmetic wraps inside the window): that is what lets
the same routine answer the out-of-distribution sizes. Each `Task` carries its routine's window,
memory, labels and symbols as a `library:` entry (`Task.library_entry`), compiled by the same code
as a recipe's own `library:` list (`nclib.model.library_spec.compile_library`). Those windows are
large (add: 2^18 values), so the augmented model runs the machine in hard mode
(`nc_machine_mode="hard"`): the teacher-forced arguments of training are one-hot, where soft and
hard execution agree exactly, and the soft path with its V x V operand tables is only affordable
for small windows (see RESULTS.md, gradient study).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import torch

from nclib.runtime.library import Library
from nclib.model.library_spec import STDLIB_MODULE, CompiledLibrary, compile_library
from nclib.tasks import ROOM_NAMES, ROUTINE, TASKS, TaskDataError, prompt_values

# Views of what the tasks carry, under their earlier names (the tasks are the only source).
TASK_ROUTINES = {t.routine: (STDLIB_MODULE[t.routine], t.values, t.memory) for t in TASKS.values()}  # -> (module, window, memory)
SYMBOLS = list(TASKS["graph"].symbols)
LABELS = {t.routine: list(t.output_labels) for t in TASKS.values() if t.output_labels}


def task_routines(tasks=TASKS) -> CompiledLibrary:
    """The routines of `tasks` (each routine once) compiled from their `library:` entries, with the
    labels and symbols they name: what `build_augmented` and the recipe give the model."""
    unknown = [t for t in tasks if t not in ROUTINE]
    if unknown:
        raise ValueError(f"unknown tasks {unknown}; tasks are {list(ROUTINE)}")
    entries = {TASKS[t].routine: TASKS[t].library_entry() for t in tasks}
    return compile_library(list(entries.values()))


def task_library(tasks=TASKS) -> Library:
    """The routines of `tasks`, compiled from the stdlib sources with the task windows."""
    return task_routines(tasks).library


def load_backbone(name: str):
    """(LlamaForCausalLM, tokenizer) for "smollm2" (the embedded default), "tiny" (a random
    2-layer LLaMA with the SmolLM2 tokenizer, for tests), or a local checkpoint directory."""
    from transformers import AutoTokenizer, LlamaConfig, LlamaForCausalLM

    from nclib.model.defaults import load_smollm2, load_smollm2_tokenizer

    if name == "smollm2":
        return load_smollm2(), load_smollm2_tokenizer()
    if name == "tiny":
        tok = load_smollm2_tokenizer()
        torch.manual_seed(0)
        config = LlamaConfig(vocab_size=len(tok), hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                             num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=512,
                             bos_token_id=tok.bos_token_id, eos_token_id=tok.eos_token_id, tie_word_embeddings=True)
        return LlamaForCausalLM(config), tok
    import os

    if not os.path.isdir(name):
        raise FileNotFoundError(f"model {name!r}: expected 'smollm2', 'tiny' or a local checkpoint directory")
    return LlamaForCausalLM.from_pretrained(name), AutoTokenizer.from_pretrained(name)


def build_augmented(base, tokenizer, tasks=TASKS, **nc_fields):
    """NCLlama around `base` with the task library, room-name symbols (read by reachable only) and
    Yes/No labels."""
    return task_routines(tasks).augment(base, tokenizer, **nc_fields)


@dataclass
class Encoded:
    """One dataset row as token ids."""

    prompt: list[int]  # prompt ids (BOS-free, like the tokenizer without special tokens)
    answer: list[int]  # answer ids followed by the end token
    routine: str | None  # only read for label supervision
    arg_positions: list[list[int]]  # per argument, the token positions of its values (last token of each)
    text: bool = False  # ordinary text: loss on every token after the first, no call


def encode_text(passages: list[str], tokenizer) -> list[Encoded]:
    """Ordinary passages as rows without a call: the first token is the "prompt", every later token
    an answer token (no end token: a passage is a piece of running text)."""
    out = []
    for p in passages:
        ids = tokenizer(p, add_special_tokens=False)["input_ids"]
        out.append(Encoded(ids[:1], ids[1:], None, [], text=True))
    return out


def _value_spans(prompt: str) -> list[tuple[int, int, int]]:
    """(start, end, value) of each of `prompt_values(prompt)`: numbers and room ids."""
    spans = []
    for m in re.finditer(r"[0-9]+|[A-Za-z]+", prompt):
        word = m.group()
        if word[0].isdigit():
            spans.append((m.start(), m.end(), int(word)))
        elif word in ROOM_NAMES:
            spans.append((m.start(), m.end(), ROOM_NAMES.index(word)))
    return spans


def encode_rows(rows, tokenizer, vocab=None) -> list[Encoded]:
    """Tokenize rows (dicts with prompt, answer, routine, args). With `vocab` (the augmented
    model's `reasoning.vocab`), also locate each argument value's token: the reader attributes a
    value to its last token, found through the tokenizer's character offsets, and the reader must
    read the same value there. (The reader also reads symbol tokens inside longer words, e.g. " S"
    of " Sorted"; those are candidates the pointer learns to pass over.)"""
    eos = tokenizer.eos_token_id
    out = []
    for i, row in enumerate(rows):
        enc = tokenizer(row["prompt"], add_special_tokens=False, return_offsets_mapping=True)
        prompt = enc["input_ids"]
        answer = tokenizer(row["answer"], add_special_tokens=False)["input_ids"] + [eos]
        positions = []
        if vocab is not None:
            value, is_end, _ = vocab.read_numbers(torch.tensor([prompt]))
            spans = _value_spans(row["prompt"])
            if [str(v) if s_.isdigit() else s_ for s_, v in ((row["prompt"][a:b], v) for a, b, v in spans)] != prompt_values(row["prompt"]):
                raise TaskDataError(f"row {i} ({row['task']}): values {spans} do not match prompt_values")
            token_of = []
            for start, end, v in spans:
                at = [t for t, (a, b) in enumerate(enc["offset_mapping"]) if a < end <= b]
                if not at or not bool(is_end[0, at[0]]) or int(value[0, at[0]]) != v:
                    raise TaskDataError(f"row {i} ({row['task']}): the model does not read the value {row['prompt'][start:end]!r} "
                                        f"(characters {start}..{end}) as {v} at its last token; prompt {row['prompt']!r}")
                token_of.append(at[0])
            positions = [[token_of[k] for k in arg] for arg in row["args"]]
        out.append(Encoded(prompt, answer, row["routine"] if vocab is not None else None, positions))
    return out


def collate(batch: list[Encoded], pad_id: int, routines: list[str] | None = None, n_args: int = 3, max_list: int = 48):
    """Right-padded tensors for a batch: input_ids, attention_mask, labels (answer tokens only,
    -100 elsewhere), prompt_len, trigger (the last prompt token, which predicts the first answer
    token; -1 for text rows); with `routines` (the augmented model's routine names) also the
    teacher-forced call `nc_call` (text rows: no call); `n_args` and `max_list` are the model's
    `nc_max_args` and `nc_max_list_len`."""
    T = max(len(e.prompt) + len(e.answer) for e in batch)
    B = len(batch)
    ids = torch.full((B, T), pad_id, dtype=torch.long)
    mask = torch.zeros(B, T, dtype=torch.long)
    labels = torch.full((B, T), -100, dtype=torch.long)
    prompt_len = torch.zeros(B, dtype=torch.long)
    for b, e in enumerate(batch):
        seq = e.prompt + e.answer
        ids[b, : len(seq)] = torch.tensor(seq)
        mask[b, : len(seq)] = 1
        labels[b, len(e.prompt): len(seq)] = torch.tensor(e.answer)
        prompt_len[b] = len(e.prompt)
    trigger = torch.tensor([-1 if e.text else len(e.prompt) - 1 for e in batch], dtype=torch.long)
    out = {"input_ids": ids, "attention_mask": mask, "labels": labels, "prompt_len": prompt_len, "trigger": trigger}
    if routines is not None:
        args = torch.full((B, n_args, max_list), -1, dtype=torch.long)
        for b, e in enumerate(batch):
            for j, pos in enumerate(e.arg_positions):
                if len(pos) > max_list:
                    raise TaskDataError(f"an argument of {len(pos)} values exceeds nc_max_list_len={max_list}")
                args[b, j, : len(pos)] = torch.tensor(pos, dtype=torch.long)
        routine = torch.tensor([-1 if e.text else routines.index(e.routine) for e in batch])
        out["nc_call"] = {"trigger": trigger, "routine": routine, "args": args}
    return out


__all__ = ["Encoded", "LABELS", "SYMBOLS", "TASK_ROUTINES", "build_augmented", "collate", "encode_rows", "encode_text",
           "load_backbone", "task_library", "task_routines"]
