"""Fibonacci numbers: ``fib_iter(n)`` (fib_iter(0) = 0, fib_iter(1) = 1); the size is n.

There are only 15 values of n in train, so an instance cannot be n alone: an instance is the
whole prompt (n together with its wording). For each n and style one training wording (number
``n % len(templates)``) is reserved for test_iid and never used in train; so test_iid asks about
every n that train has, but only in wordings train never pairs with that n. test_wording prompts
differ from every train prompt by their templates. Repeats within fib splits are unavoidable and
allowed.
"""

from __future__ import annotations

import random

from nclib.routines.fibonacci import fib_iter
from nclib.tasks.task import Task, TaskSpec

__all__ = ["TASK"]

TEMPLATES = {
    "terse": ("fib({n}) = ", "fib {n} = ", "fibonacci({n}) = "),
    "natural": (
        "What is the Fibonacci number with index {n}? Answer: ",
        "The Fibonacci number with index {n} is ",
        "Compute the Fibonacci number at index {n}: ",
        "In the Fibonacci sequence zero, one, one, two, three, the term with index {n} is ",
        "Query: Fibonacci number at index {n}?\nReply: ",
        "Question: What is the term with index {n} of the Fibonacci sequence, starting from index zero?\nAnswer: ",
        "Starting from zero and one, every Fibonacci number is the sum of the two before it. The one at index {n} equals ",
        "Input: index {n}\nFibonacci value: ",
    ),
}
WORDING = {
    "question": (
        "Which number sits at index {n} of the Fibonacci sequence, counting from index zero? It is ",
        "Counting from zero, what entry of the Fibonacci sequence has index {n}? The entry is ",
    ),
    "instruction": (
        "Give the Fibonacci number at position {n}, counting positions from zero: ",
        "Write down the Fibonacci number whose index is {n}.\nResult: ",
    ),
    "story": (
        "Each month the rabbit colony grew by the Fibonacci rule, with zero pairs at index zero and one pair "
        "at index one. At index {n} the number of pairs was ",
        "Lena recited the Fibonacci sequence, which begins zero, one, one, two. When she reached index {n}, she said ",
    ),
    "chat": (
        "User: can you tell me the Fibonacci number at index {n}?\nAssistant: ",
        "User: in the Fibonacci sequence, which value has index {n}?\nAssistant: It is ",
    ),
}


def sample(rng: random.Random, size: int, spec: TaskSpec, ood: bool, label) -> dict:
    return {"n": size}


def size(prompt: str, values: list[list[int]]) -> int:
    return values[0][0]


TASK = Task(
    name="fib",
    routine="fib_iter",
    reference=fib_iter,
    params=("int",),
    fields=("n",),
    templates=TEMPLATES,
    wording=WORDING,
    sample=sample,
    size=size,
    spec=TaskSpec(iid_sizes=tuple(range(1, 16)), ood_sizes=tuple(range(16, 25))),
    size_limits=(0, 90),
    prompt_instances=True,
    values=(0, 1 << 17),  # fib(24) = 46368; the loop also forms fib(25), fib(26)
    memory=64,
)
