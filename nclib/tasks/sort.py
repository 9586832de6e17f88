"""Sorting a list: ``insertion_sort(xs)``; the size is the list length, the elements are drawn
uniformly from 0..`TaskSpec.max_value`."""

from __future__ import annotations

import random

from nclib.routines.sorting import insertion_sort
from nclib.tasks.task import Task, TaskSpec

__all__ = ["TASK"]

TEMPLATES = {
    "terse": ("sort [{xs}] = ", "sorted([{xs}]) = "),
    "natural": (
        "Sort the list {xs} in increasing order: ",
        "Put these numbers in ascending order: {xs}. Answer: ",
        "Arrange {xs} from smallest to largest: ",
        "Here is a list of numbers: {xs}. Sorted, it reads ",
        "The heights of the plants in centimetres were {xs}. Listed from shortest to tallest they are ",
        "Order these scores from lowest to highest: {xs}. Ordered: ",
        "Query: {xs} sorted ascending?\nReply: ",
        "Question: How do the numbers {xs} read when put in increasing order?\nAnswer: ",
        "The ages of the guests at the party were {xs}. From youngest to oldest, the ages are ",
        "The librarian shelves the books numbered {xs} so that the numbers go up from left to right. The shelf now shows ",
        "The daily temperatures this week were {xs} degrees. Sorted from coldest to warmest, they were ",
        "Rank the prices {xs} from cheapest to dearest: ",
        "Input: {xs}\nSorted output: ",
        "The judges gave the marks {xs}. Read out from the lowest mark up, they come to ",
        "When the parcels weighing {xs} kilograms are lined up from lightest to heaviest, the weights go ",
    ),
}
WORDING = {
    "question": (
        "What do you get when you sort {xs} in ascending order? You get ",
        "If the numbers {xs} are ordered from lowest to highest, how do they read? They read ",
    ),
    "instruction": (
        "Reorder the following numbers so that each one is no larger than the next.\nNumbers: {xs}\nReordered: ",
        "List these values from the smallest to the largest, separated by commas: {xs}.\nResult: ",
    ),
    "story": (
        "Maya wrote the numbers {xs} on cards and laid the cards out from the lowest number to the highest. "
        "From left to right, the cards now read ",
        "After the race, the bib numbers of the runners were {xs}. The coach read them out in increasing order: ",
    ),
    "chat": (
        "User: could you sort these for me, smallest first? {xs}\nAssistant: ",
        "User: please put {xs} in order from low to high.\nAssistant: Sure, here they are: ",
    ),
}


def sample(rng: random.Random, size: int, spec: TaskSpec, ood: bool, label) -> dict:
    return {"xs": [rng.randint(0, spec.max_value) for _ in range(size)]}


def size(prompt: str, values: list[list[int]]) -> int:
    return len(values[0])


TASK = Task(
    name="sort",
    routine="insertion_sort",
    reference=insertion_sort,
    params=("list",),
    fields=("xs",),
    templates=TEMPLATES,
    wording=WORDING,
    sample=sample,
    size=size,
    spec=TaskSpec(iid_sizes=tuple(range(2, 9)), ood_sizes=(12, 16)),
    size_limits=(1, 1000),
    values=(0, 128),  # values 0..99, lists up to 16
    memory=64,
)
