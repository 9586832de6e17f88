"""Graph reachability in text: ``reachable(edges, start, goal)`` (`nclib.routines.graphs`), where
``edges`` are the room ids (index in `ROOM_NAMES`) of the door endpoints in the order the doors
are written, ``[u0, v0, u1, v1, ...]``; the size is the number of rooms. An instance compares the
edges as an undirected edge set, so a different door order or door orientation is still the
same instance.

Construction. Rooms are ``lobby`` plus distinct random letters; the start is the lobby in about
half of the rows. The rooms are split into components of at least 2 rooms (the start's component
and others; two components up to 7 rooms, up to four in larger graphs), each a random tree plus
extra doors, for about one to one and a half doors per room where the component sizes allow (4
and 5 rooms can only hold 0.5 to 0.8: two components of 2 rooms have one door each). The goal is
chosen from a pair of "twin" rooms drawn *before* the label: a room of the start's component
other than the start, and a room of another component with the same number of doors where
possible (the nearest count otherwise). A Yes row asks about the first, a No row about the
second; the other twin is the competitor. Since the graph is drawn independently of the label, a
No goal is not isolated nor recognisable by its degree or by the door count: only following the
doors tells the answers apart. Yes and No are balanced exactly within each size of each split
(``labels``). Room listing order, door order and door orientation are shuffled. `parse_graph`
recovers the graph from a prompt of any of the templates.

Every room name is written after a space, so it is its own space-prefixed token.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from nclib.routines.graphs import reachable
from nclib.tasks.prompt import ROOM_NAMES, Prompt, prompt_values, template_fields, template_regex
from nclib.tasks.schema import STYLES
from nclib.tasks.task import Task, TaskSpec

__all__ = ["TASK", "parse_graph"]


@dataclass(frozen=True)
class GraphTemplate:
    text: str  # fields: rooms, doors, start, goal
    door: str  # one door, fields u and v
    door_sep: str  # between doors
    room_last_sep: str  # between the last two listed rooms (", " elsewhere)
    natural_names: bool  # "the lobby" / "room K" for start and goal instead of the bare name


TEMPLATES = {
    "terse": (
        GraphTemplate("Rooms: {rooms}. Doors: {doors}. Can you get to {goal} from {start}?", "{u} to {v}", ", ", ", ", False),
        GraphTemplate("Rooms: {rooms}. Doors: {doors}. Path from {start} to {goal}?", "{u} to {v}", ", ", ", ", False),
        GraphTemplate("Rooms: {rooms}. Doors: {doors}. Reachable from {start}: {goal}? Answer:", "{u} and {v}", "; ", ", ", False),
    ),
    "natural": (
        GraphTemplate(
            "This house has the rooms {rooms}. {doors} Starting in {start}, can you reach {goal}?",
            "There is a door between {u} and {v}.", " ", " and ", True,
        ),
        GraphTemplate(
            "You are in {start}. The rooms here are {rooms}, and doors connect {doors}. Can you walk to {goal}? Answer:",
            "{u} with {v}", ", ", " and ", True,
        ),
        GraphTemplate(
            "The building has the rooms {rooms}. Its doors link {doors}. Is {goal} reachable from {start}?",
            "{u} and {v}", "; ", " and ", True,
        ),
    ),
}
WORDING = {
    "question": (
        GraphTemplate(
            "The house has these rooms: {rooms}. Doors run {doors}. Is there a route from {start} to {goal}?",
            "between {u} and {v}", ", ", " and ", True,
        ),
        GraphTemplate(
            "Rooms {rooms} are linked by doors as follows: {doors}. Could someone walk from {start} to {goal} through these doors?",
            "{u} connects to {v}", "; ", ", ", False,
        ),
    ),
    "instruction": (
        GraphTemplate(
            "Decide whether {goal} can be reached from {start}. Rooms: {rooms}. Doors: {doors}. Reply with Yes or No.\nAnswer:",
            "{u} joins {v}", ", ", ", ", True,
        ),
        GraphTemplate(
            "Here is a floor plan. Rooms: {rooms}. Connections: {doors}. Answer Yes if one can get from {start} to {goal}, "
            "otherwise No.\nAnswer:",
            "from {u} to {v}", ", ", ", ", False,
        ),
    ),
    "story": (
        GraphTemplate(
            "Nora is exploring an old castle with the rooms {rooms}. {doors} She starts in {start} and wants to get to {goal}. "
            "Can she make it?",
            "The castle has a passage from {u} to {v}.", " ", " and ", True,
        ),
        GraphTemplate(
            "The map of the museum lists the halls {rooms}, and its doorways connect {doors}. Starting in {start}, the guard "
            "wonders whether {goal} can be reached. Is it possible?",
            "{u} to {v}", ", ", " and ", True,
        ),
    ),
    "chat": (
        GraphTemplate(
            "User: my flat has the rooms {rooms}. The doors go {doors}. Can you get from {start} to {goal}?\nAssistant:",
            "from {u} to {v}", ", ", " and ", True,
        ),
        GraphTemplate(
            "User: rooms are {rooms}; doors: {doors}. Is there a way from {start} to {goal}? Just say yes or no.\nAssistant:",
            "{u} and {v}", ", ", ", ", False,
        ),
    ),
}


def sample(rng: random.Random, size: int, spec: TaskSpec, ood: bool, label: int) -> dict:
    """A graph of `size` rooms and a start/goal pair whose answer is `label` (module docstring:
    the graph and the twin rooms are drawn first, the label only picks the twin)."""
    others = rng.sample(range(1, len(ROOM_NAMES)), size - 1)
    start = 0 if rng.random() < 0.5 else others[rng.randrange(size - 1)]
    rest = [r for r in [0] + others if r != start]
    rng.shuffle(rest)
    # Component sizes: n_comp parts of at least 2 rooms; the start's component is the first.
    n_comp = rng.randint(2, min(4, max(2, size // 4 + 1)))  # 2 up to 7 rooms, at most 4
    sizes = [2] * n_comp
    for _ in range(size - 2 * n_comp):
        sizes[rng.randrange(n_comp)] += 1
    members = [start] + rest
    comps, pos = [], 0
    for s in sizes:
        comps.append(members[pos : pos + s])
        pos += s
    doors: list[tuple[int, int]] = []
    for comp in comps:
        order = comp[:]
        rng.shuffle(order)
        have = set()
        for i in range(1, len(order)):  # a random recursive tree spans the component
            u, v = order[i], order[rng.randrange(i)]
            doors.append((u, v))
            have.add(frozenset((u, v)))
        # Extra doors bring the component to about 1..1.5 doors per room where there is room.
        target = round(len(comp) * rng.uniform(1.0, 1.5))
        missing = [(u, v) for i, u in enumerate(comp) for v in comp[i + 1 :] if frozenset((u, v)) not in have]
        rng.shuffle(missing)
        doors.extend(missing[: max(0, target - (len(comp) - 1))])
    degree = {r: 0 for r in members}
    for u, v in doors:
        degree[u] += 1
        degree[v] += 1
    near = rng.choice([r for r in comps[0] if r != start])  # the twin the start can reach
    far_comp = comps[rng.randrange(1, n_comp)]
    gap = min(abs(degree[r] - degree[near]) for r in far_comp)
    far = rng.choice([r for r in far_comp if abs(degree[r] - degree[near]) == gap])
    goal = near if label else far
    # Presentation: listing order, door order and orientation are all random.
    rooms = [0] + others
    rng.shuffle(rooms)
    doors = [(v, u) if rng.random() < 0.5 else (u, v) for u, v in doors]
    rng.shuffle(doors)
    return {"rooms": rooms, "doors": doors, "start": start, "goal": goal}


def _room_phrase(room: int, natural: bool) -> tuple[str, str]:
    """(text before the name, name) for a start or goal room."""
    name = ROOM_NAMES[room]
    if not natural:
        return "", name
    return ("the ", name) if room == 0 else ("room ", name)


def render(tpl: GraphTemplate, g: dict) -> Prompt:
    """The prompt of a graph instance; its indices: door endpoints ("doors"), "start", "goal"."""
    p = Prompt()
    for lit, name in template_fields(tpl.text):
        p.text(lit)
        if name == "rooms":
            for k, r in enumerate(g["rooms"]):
                if k:
                    p.text(tpl.room_last_sep if k == len(g["rooms"]) - 1 else ", ")
                p.value(ROOM_NAMES[r])
        elif name == "doors":
            ends = []
            for k, (u, v) in enumerate(g["doors"]):
                if k:
                    p.text(tpl.door_sep)
                for dlit, dname in template_fields(tpl.door):
                    p.text(dlit)
                    if dname is not None:
                        ends.append(p.value(ROOM_NAMES[u if dname == "u" else v]))
            p.indices["doors"] = ends
        elif name in ("start", "goal"):
            before, room_name = _room_phrase(g[name], tpl.natural_names)
            p.text(before)
            p.indices[name] = [p.value(room_name)]
    return p


def shape(tpl: GraphTemplate):
    return template_regex(tpl.text)


_SHAPES = [shape(t) for ts in [*(TEMPLATES[s] for s in STYLES), *WORDING.values()] for t in ts]


def parse_graph(prompt: str) -> tuple[list[str], list[tuple[str, str]], str, str]:
    """(rooms in listed order, doors as (u, v) name pairs in text order, start, goal) of a graph
    prompt made from any graph template. Raises ValueError for a prompt that matches none."""
    for rx in _SHAPES:
        m = rx.match(prompt)
        if m is None:
            continue
        rooms = prompt_values(m.group("rooms"))
        ends = prompt_values(m.group("doors"))
        start, goal = prompt_values(m.group("start")), prompt_values(m.group("goal"))
        if len(ends) % 2 or len(start) != 1 or len(goal) != 1 or any(not r.isalpha() for r in rooms + ends):
            continue
        return rooms, list(zip(ends[0::2], ends[1::2])), start[0], goal[0]
    raise ValueError(f"not a graph prompt: {prompt[:80]!r}")


def size(prompt: str, values: list[list[int]]) -> int:
    return len(parse_graph(prompt)[0])


def yes_no(target: list[int]) -> str:
    return " Yes" if target == [1] else " No"


def edge_set(prompt: str, values: list[list[int]]) -> tuple:
    """The instance: the doors as an undirected edge set, the start and the goal."""
    edges = values[0]
    return (tuple(sorted({(min(u, v), max(u, v)) for u, v in zip(edges[0::2], edges[1::2])})), values[1][0], values[2][0])


TASK = Task(
    name="graph",
    routine="reachable",
    reference=reachable,
    params=("list", "int", "int"),
    fields=("doors", "start", "goal"),
    templates=TEMPLATES,
    wording=WORDING,
    sample=sample,
    size=size,
    spec=TaskSpec(iid_sizes=tuple(range(4, 9)), ood_sizes=(12, 16)),
    size_limits=(4, len(ROOM_NAMES)),
    render=render,
    shape=shape,
    answer=yes_no,
    key=edge_set,
    labels=(1, 0),
    values=(0, 256),
    memory=192,  # 26 room ids, up to ~30 doors plus two work lists
    output_labels=(" No", " Yes"),
    symbols=tuple(" " + room for room in ROOM_NAMES),  # room names: the values 0..25, space-prefixed single tokens
)
