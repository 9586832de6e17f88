"""The row schema shared by every task's splits (the columns are described in the package docstring)."""

import datasets

__all__ = ["ANSWER_COLUMNS", "COLUMNS", "FEATURES", "SPLITS", "STYLES"]

# test_wording is optional when loading: datasets saved before it existed have only the first three.
SPLITS = ("train", "test_iid", "test_ood", "test_wording")
STYLES = ("terse", "natural")  # styles of the training wordings; test_wording rows carry their register instead
COLUMNS = ("task", "split", "size", "style", "prompt", "answer", "routine", "args", "target")
ANSWER_COLUMNS = ("task", "split", "size", "style", "prompt", "answer")  # what answers-only training and evaluation read

FEATURES = datasets.Features(
    {
        "task": datasets.Value("string"),
        "split": datasets.Value("string"),
        "size": datasets.Value("int64"),
        "style": datasets.Value("string"),
        "prompt": datasets.Value("string"),
        "answer": datasets.Value("string"),
        "routine": datasets.Value("string"),
        "args": datasets.List(datasets.List(datasets.Value("int64"))),
        "target": datasets.List(datasets.Value("int64")),
    }
)
