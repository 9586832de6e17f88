"""Prompts: the values a prompt holds, and filling a template with an instance's values.

`prompt_values` lists the numbers (maximal digit runs) and room names (``lobby`` or a single
capital letter of `ROOM_NAMES`, as a whole word) of a prompt in text order. The templates contain
no other digits or single capital letters (no article "A" at a sentence start), so the values are
exactly the routine's arguments (graph: and the listing of the rooms); `build_task` asserts this
for every row it makes. A row's ``args`` are indices into this list.
"""

from __future__ import annotations

import re
import string

__all__ = ["ROOM_NAMES", "Prompt", "arg_values", "prompt_values", "render_template", "template_fields", "template_regex"]

# No "I": it reads as the pronoun. A room's id is its index here.
ROOM_NAMES = ["lobby"] + [c for c in "ABCDEFGHJKLMNOPQRSTUVWXYZ"]

_ROOM_ID = {name: i for i, name in enumerate(ROOM_NAMES)}
_VALUE_RE = re.compile(r"[0-9]+|[A-Za-z]+")


def prompt_values(prompt: str) -> list[str]:
    """The numbers (maximal digit runs) and room names (whole words in `ROOM_NAMES`) of a prompt,
    in text order, as strings."""
    out = []
    for m in _VALUE_RE.finditer(prompt):
        word = m.group()
        if word[0].isdigit() or word in _ROOM_ID:
            out.append(word)
    return out


def arg_values(prompt: str, args: list[list[int]]) -> list[list[int]]:
    """The values a row's ``args`` select from its prompt, as ints (a number's value, a room's id)."""
    values = prompt_values(prompt)
    return [[int(values[i]) if values[i].isdigit() else _ROOM_ID[values[i]] for i in arg] for arg in args]


class Prompt:
    """A prompt built piece by piece: its text parts, its values, and the value indices of each
    template field (`indices`)."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.values: list[str] = []
        self.indices: dict[str, list[int]] = {}

    def text(self, s: str) -> None:
        self.parts.append(s)

    def value(self, v) -> int:
        self.parts.append(str(v))
        self.values.append(str(v))
        return len(self.values) - 1

    def joined(self) -> str:
        return "".join(self.parts)


def template_fields(template: str) -> list[tuple[str, str | None]]:
    """(literal, field name or None) pairs of a format string."""
    return [(lit, name) for lit, name, _, _ in string.Formatter().parse(template)]


def render_template(template: str, instance: dict) -> Prompt:
    """A format-string template filled with an instance (field -> int or list of ints; a list's
    elements are joined by ", ")."""
    p = Prompt()
    for lit, name in template_fields(template):
        p.text(lit)
        if name is None:
            continue
        v = instance[name]
        if isinstance(v, list):
            idx = []
            for k, x in enumerate(v):
                if k:
                    p.text(", ")
                idx.append(p.value(x))
            p.indices[name] = idx
        else:
            p.indices[name] = [p.value(v)]
    return p


def template_regex(template: str) -> re.Pattern:
    """The shape of a template: its literal text, each field matching any non-empty text."""
    parts = []
    for lit, name in template_fields(template):
        parts.append(re.escape(lit))
        if name is not None:
            parts.append(f"(?P<{name}>.+?)")
    return re.compile("".join(parts) + r"\Z", re.S)
