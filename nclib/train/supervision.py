"""`Supervision`: what trains the augmented model's reasoning module (the recipe's `supervision:`),
and every consequence of that choice, each decided here once.

    answers  rows need only prompt and answer; the call is anchored at the prompt's end (its last
             token is the trigger, nothing else is given) and the answer-token loss trains router,
             reader and writer gate through the worlds machine mode (docs/design.md §6.6)
    labels   the ablation: each row's routine and argument positions supervise router and reader
             (the built-in tasks' label columns); the machine runs in hard mode on the
             teacher-forced one-hot arguments

The baseline variant has no reasoning module: the recipe's supervision is then None (no call).
"""

from __future__ import annotations

from enum import Enum

__all__ = ["SUPERVISION", "Supervision"]


class Supervision(Enum):
    ANSWERS = "answers"
    LABELS = "labels"

    @property
    def reads_labels(self) -> bool:
        """Rows must carry the label columns (routine, args): they are loaded, checked and encoded
        as the teacher-forced call (the routine and its arguments' token positions)."""
        return self is Supervision.LABELS

    def machine_fields(self, worlds_top_k: int) -> dict:
        """The augmented model's machine mode (NCLlama config fields)."""
        if self is Supervision.ANSWERS:
            return {"nc_machine_mode": "worlds", "nc_worlds_top_k": worlds_top_k}
        return {"nc_machine_mode": "hard"}


SUPERVISION = tuple(s.value for s in Supervision)  # the values a recipe's `supervision:` admits
