"""Internals of any HF causal LM: attention from one token to chosen tokens per layer and head,
and layer-wise PCA / t-SNE projections of token representations (the AlgEval slides' graph
navigation figures), written as PNG files of a fixed size.

Works on anything `AutoModelForCausalLM` loads that returns ``attentions`` and
``hidden_states`` (LLaMA, the augmented NCLlama, SmolLM2). Attention weights need the eager
attention implementation; `load_causal_lm` and `ensure_eager` switch to it.

Words are located by whole-word match in the prompt text (so ``A`` does not match inside
``lobby``) and mapped to tokens through the tokenizer's character offsets: a word's token is
the last token overlapping it (the position where the model has read the whole word).
Layer numbering: attention layers are 0..L-1 (decoder layer l); hidden-state layers are 0..L,
where 0 is the embedding output and l the output of decoder layer l-1 (HF ``hidden_states``).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import torch  # noqa: E402

__all__ = ["load_causal_lm", "ensure_eager", "word_positions", "graph_words", "resolve_layers", "resolve_heads",
           "AttentionMap", "attention_to_words", "plot_attention", "Representations", "word_representations",
           "project", "plot_projections", "plot_layer_trajectories"]

ATTENTION_FIGSIZE = (14.0, 9.0)
PROJECTION_FIGSIZE = (14.0, 9.0)
TRAJECTORY_FIGSIZE = (9.0, 8.0)
DPI = 80


def ensure_eager(model):
    """Switch the model to eager attention (the only implementation that returns weights)."""
    if hasattr(model, "set_attn_implementation"):
        try:
            model.set_attn_implementation("eager")
            return model
        except (ValueError, AttributeError, NotImplementedError):
            pass
    model.config._attn_implementation = "eager"
    return model


def load_causal_lm(spec: str, dtype: torch.dtype = torch.float32):
    """(model, tokenizer) in eval mode with eager attention. spec: ``"smollm2"`` (the embedded
    SmolLM2-135M-Instruct) or a local directory saved with ``save_pretrained`` (LLaMA, NCLlama,
    ...; it must hold a tokenizer too)."""
    import nclib  # noqa: F401  (registers NCLlama with the Auto classes)

    if spec == "smollm2":
        from nclib.model.defaults import load_smollm2, load_smollm2_tokenizer

        model, tok = load_smollm2(dtype=dtype), load_smollm2_tokenizer()
    else:
        from transformers import AutoModelForCausalLM, AutoTokenizer

        if not Path(spec).is_dir():
            raise FileNotFoundError(f"--model {spec!r} is neither 'smollm2' nor a local model directory")
        model = AutoModelForCausalLM.from_pretrained(spec, dtype=dtype, attn_implementation="eager")
        tok = AutoTokenizer.from_pretrained(spec)
    return ensure_eager(model).eval(), tok


def _offsets(tokenizer, prompt: str) -> tuple[list[int], list[tuple[int, int]]]:
    enc = tokenizer(prompt, return_offsets_mapping=True)
    return list(enc["input_ids"]), [tuple(o) for o in enc["offset_mapping"]]


def word_positions(tokenizer, prompt: str, word: str) -> list[int]:
    """Token positions of every whole-word occurrence of `word` in `prompt` (the last token of
    each occurrence), in text order. Raises ValueError naming the word when it does not occur."""
    spans = [m.span() for m in re.finditer(rf"(?<![A-Za-z0-9_]){re.escape(word)}(?![A-Za-z0-9_])", prompt)]
    if not word or not spans:
        raise ValueError(f"token {word!r} does not occur in the prompt {prompt[:80]!r}{'...' if len(prompt) > 80 else ''}")
    _, offsets = _offsets(tokenizer, prompt)
    out = []
    for s, e in spans:
        hits = [i for i, (a, b) in enumerate(offsets) if a < e and b > s and b > a]
        if not hits:
            raise ValueError(f"token {word!r} at characters {s}..{e} maps to no token of the prompt")
        out.append(hits[-1])
    return out


def graph_words(prompt: str) -> tuple[list[str], str | None, str | None]:
    """(room names in listed order, start, goal) of a graph-navigation prompt, or the room names
    (`nclib.tasks.ROOM_NAMES`) that occur as whole words, with no start/goal, for other text."""
    from nclib.tasks import ROOM_NAMES, parse_graph

    try:
        rooms, _, start, goal = parse_graph(prompt)
        return rooms, start, goal
    except ValueError:
        found = [r for r in ROOM_NAMES if re.search(rf"(?<![A-Za-z0-9_]){re.escape(r)}(?![A-Za-z0-9_])", prompt)]
        return found, None, None


def resolve_layers(layers, n: int, what: str = "layer") -> list[int]:
    """Layer indices from None/"all" (every one), an int, a comma list "0,3,-1" or a list; negative
    indices count from the end. ValueError naming the index and the valid range otherwise."""
    if layers is None or layers == "all":
        return list(range(n))
    if isinstance(layers, str):
        try:
            layers = [int(x) for x in layers.split(",") if x.strip()]
        except ValueError:
            raise ValueError(f"{what}s {layers!r}: expected comma-separated integers or 'all'") from None
    if isinstance(layers, int):
        layers = [layers]
    out = []
    for x in layers:
        if not -n <= int(x) < n:
            raise ValueError(f"{what} {x} is out of range: the model has {n} {what}s, valid indices 0..{n - 1} (or -{n}..-1)")
        out.append(int(x) % n)
    if not out:
        raise ValueError(f"no {what}s selected")
    return out


def resolve_heads(heads, n: int) -> list[int]:
    return resolve_layers(heads, n, what="head")


@dataclass
class AttentionMap:
    """Attention from one query token to chosen words. weights: [n_layers, n_heads, n_keys]
    (numpy), the attention mass of the query position on each key word's tokens."""

    weights: np.ndarray
    layers: list[int]
    heads: list[int]
    keys: list[str]
    query: str
    query_position: int
    prompt: str

    def summary(self) -> dict:
        """Per layer, the key with the most attention averaged over heads."""
        mean = self.weights.mean(1)  # [n_layers, n_keys]
        return {"query": self.query, "query_position": self.query_position, "keys": self.keys, "layers": self.layers,
                "heads": self.heads, "top_key_per_layer": {str(l): self.keys[int(mean[i].argmax())] for i, l in enumerate(self.layers)}}


def _resolve_word(prompt: str, word: str) -> str:
    """'goal' / 'start' name the graph prompt's goal / start room; any other word stands for itself."""
    if word in ("goal", "start"):
        _, start, goal = graph_words(prompt)
        chosen = goal if word == "goal" else start
        if chosen is None:
            raise ValueError(f"{word!r} needs a graph-navigation prompt (nclib.tasks.parse_graph found none); name the token instead")
        return chosen
    return word


def _forward(model, tokenizer, prompt: str, **flags):
    ids = torch.tensor([tokenizer(prompt)["input_ids"]], device=next(model.parameters()).device)
    with torch.no_grad():
        return model(input_ids=ids, attention_mask=torch.ones_like(ids), **flags)


def attention_to_words(model, tokenizer, prompt: str, query: str = "goal", keys=None, layers=None, heads=None,
                       reduce: str = "sum") -> AttentionMap:
    """Attention from the query word's last occurrence to each key word, per layer and head.

    query: a word of the prompt, or "goal"/"start" for a graph prompt; keys: words (default: the
    graph's rooms); reduce: "sum" (all occurrences' tokens; the mass the query puts on that
    word) or "max" (the single strongest position). Causal models only attend backwards, so
    occurrences after the query get no weight."""
    if reduce not in ("sum", "max"):
        raise ValueError(f"reduce must be 'sum' or 'max', got {reduce!r}")
    query = _resolve_word(prompt, query)
    keys = list(keys) if keys else graph_words(prompt)[0]
    if not keys:
        raise ValueError("no key tokens: pass keys=[...] (no room names found in the prompt)")
    keys = [_resolve_word(prompt, k) for k in keys]
    q = word_positions(tokenizer, prompt, query)[-1]
    key_pos = [word_positions(tokenizer, prompt, k) for k in keys]
    n_layers, n_heads = model.config.num_hidden_layers, model.config.num_attention_heads
    layers, heads = resolve_layers(layers, n_layers), resolve_heads(heads, n_heads)
    ensure_eager(model)
    out = _forward(model, tokenizer, prompt, output_attentions=True)
    if not out.attentions or out.attentions[0] is None:
        raise RuntimeError("the model returned no attention weights; load it with attn_implementation='eager'")
    weights = np.zeros((len(layers), len(heads), len(keys)))
    for i, l in enumerate(layers):
        row = out.attentions[l][0, heads, q].float().cpu()  # [n_heads, T]
        for k, pos in enumerate(key_pos):
            part = row[:, pos]
            weights[i, :, k] = (part.sum(-1) if reduce == "sum" else part.max(-1).values).numpy()
    return AttentionMap(weights, layers, heads, keys, query, q, prompt)


def _grid(n: int, max_cols: int = 6) -> tuple[int, int]:
    cols = min(max_cols, n)
    return math.ceil(n / cols), cols


def _save(fig, path) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=DPI)
    plt.close(fig)
    return path


def plot_attention(amap: AttentionMap, path, figsize: tuple[float, float] = ATTENTION_FIGSIZE, title: str | None = None) -> Path:
    """One PNG (figsize × 80 dpi pixels): a panel per layer, each a heads × keys heatmap of the
    query's attention, on one colour scale."""
    rows, cols = _grid(len(amap.layers))
    fig, axes = plt.subplots(rows, cols, figsize=figsize, squeeze=False)
    vmax = float(amap.weights.max()) or 1.0
    image = None
    for i, ax in enumerate(axes.flat):
        if i >= len(amap.layers):
            ax.axis("off")
            continue
        image = ax.imshow(amap.weights[i], aspect="auto", cmap="magma", vmin=0, vmax=vmax, interpolation="nearest")
        ax.set_title(f"layer {amap.layers[i]}", fontsize=9)
        ax.set_xticks(range(len(amap.keys)), [f"{k}*" if k == amap.query else k for k in amap.keys], fontsize=6, rotation=90)
        ax.set_yticks(range(len(amap.heads)), [str(h) for h in amap.heads], fontsize=6)
        if i % cols == 0:
            ax.set_ylabel("head", fontsize=8)
    fig.colorbar(image, ax=axes.ravel().tolist(), fraction=0.02, pad=0.01)
    fig.suptitle(title or f"attention from {amap.query!r} (token {amap.query_position}, marked *) to each word", fontsize=11)
    return _save(fig, path)


@dataclass
class Representations:
    """Hidden states of chosen words. states: [N, n_layers, D] (numpy); per point its word, its
    role (start / goal / goal-neighbour / room) and the prompt it came from."""

    states: np.ndarray
    layers: list[int]
    words: list[str]
    roles: list[str]
    prompt_index: list[int]
    extra: dict = field(default_factory=dict)


def _roles(prompt: str, rooms: list[str]) -> dict[str, str]:
    from nclib.tasks import parse_graph

    try:
        _, doors, start, goal = parse_graph(prompt)
    except ValueError:
        return {r: "room" for r in rooms}
    near = {v for u, v in doors if u == goal} | {u for u, v in doors if v == goal}
    return {r: "goal" if r == goal else "start" if r == start else "goal neighbour" if r in near else "room" for r in rooms}


def word_representations(model, tokenizer, prompts: list[str], words=None, layers=None,
                         occurrence: str = "last") -> Representations:
    """Hidden states (HF ``hidden_states``: layer 0 = embeddings, l = after decoder layer l-1)
    of each word's token in each prompt. words: default each graph prompt's rooms (words absent
    from a prompt are skipped there, but a word found in no prompt is an error); occurrence:
    "last", "first" or "mean" over the word's occurrences."""
    if occurrence not in ("last", "first", "mean"):
        raise ValueError(f"occurrence must be 'last', 'first' or 'mean', got {occurrence!r}")
    n_states = model.config.num_hidden_layers + 1
    layers = resolve_layers(layers, n_states, what="hidden-state layer")
    states, names, roles, index = [], [], [], []
    found = set()
    for p, prompt in enumerate(prompts):
        chosen = list(words) if words else graph_words(prompt)[0]
        role = _roles(prompt, chosen)
        present = []
        for w in chosen:
            try:
                present.append((w, word_positions(tokenizer, prompt, w)))
            except ValueError:
                if not words:
                    raise
        if not present:
            continue
        out = _forward(model, tokenizer, prompt, output_hidden_states=True)
        hs = torch.stack([out.hidden_states[l][0] for l in layers]).float().cpu()  # [n_layers, T, D]
        for w, pos in present:
            found.add(w)
            pick = {"last": pos[-1:], "first": pos[:1], "mean": pos}[occurrence]
            states.append(hs[:, pick].mean(1).numpy())  # [n_layers, D]
            names.append(w)
            roles.append(role.get(w, "room"))
            index.append(p)
    missing = [w for w in (words or []) if w not in found]
    if missing:
        raise ValueError(f"token(s) {', '.join(map(repr, missing))} occur in none of the {len(prompts)} prompts")
    if not states:
        raise ValueError("no words found in the prompts")
    return Representations(np.stack(states), layers, names, roles, index)


def project(x: np.ndarray, method: str = "pca", seed: int = 0) -> np.ndarray:
    """[N, D] -> [N, 2] with PCA or t-SNE (perplexity adapted to small N; PCA to 50 dimensions first)."""
    from sklearn.decomposition import PCA
    from sklearn.manifold import TSNE

    x = np.asarray(x, dtype=np.float64)
    if x.shape[0] < 3:
        raise ValueError(f"a projection needs at least 3 points, got {x.shape[0]}")
    if method == "pca":
        return PCA(n_components=2, random_state=seed).fit_transform(x)
    if method == "tsne":
        if x.shape[1] > 50 and x.shape[0] > 50:
            x = PCA(n_components=50, random_state=seed).fit_transform(x)
        perplexity = float(min(30.0, max(2.0, (x.shape[0] - 1) / 3)))
        return TSNE(n_components=2, perplexity=perplexity, init="pca", random_state=seed).fit_transform(x)
    raise ValueError(f"method must be 'pca' or 'tsne', got {method!r}")


def _colours(labels: list[str]) -> tuple[list[str], dict]:
    order = list(dict.fromkeys(labels))
    cmap = plt.get_cmap("tab20" if len(order) > 10 else "tab10")
    palette = {lab: cmap(i % cmap.N) for i, lab in enumerate(order)}
    return order, palette


def plot_projections(reps: Representations, path, method: str = "pca", color_by: str = "room",
                     figsize: tuple[float, float] = PROJECTION_FIGSIZE, seed: int = 0) -> Path:
    """One PNG: a panel per layer, each the 2-D projection (fitted per layer) of every word's
    representation, coloured by room name or by role; the layer index is in each panel title."""
    if color_by not in ("room", "role"):
        raise ValueError(f"color_by must be 'room' or 'role', got {color_by!r}")
    labels = reps.words if color_by == "room" else reps.roles
    order, palette = _colours(labels)
    rows, cols = _grid(len(reps.layers), max_cols=4)
    fig, axes = plt.subplots(rows, cols, figsize=figsize, squeeze=False)
    for i, ax in enumerate(axes.flat):
        if i >= len(reps.layers):
            ax.axis("off")
            continue
        xy = project(reps.states[:, i], method, seed)
        for lab in order:
            m = np.array([x == lab for x in labels])
            ax.scatter(xy[m, 0], xy[m, 1], s=10, color=palette[lab], label=lab, alpha=0.8)
        ax.set_title(f"layer {reps.layers[i]}", fontsize=9)
        ax.set_xticks([])
        ax.set_yticks([])
    handles = [plt.Line2D([], [], marker="o", ls="", color=palette[lab], label=lab) for lab in order]
    fig.legend(handles=handles, loc="center right", fontsize=7, title=color_by)
    fig.suptitle(f"{method.upper()} of word representations per layer ({len(labels)} points, "
                 f"{len(set(reps.prompt_index))} prompts)", fontsize=11)
    fig.subplots_adjust(right=0.88)
    return _save(fig, path)


def plot_layer_trajectories(reps: Representations, path, method: str = "tsne", prompt: int | None = None,
                            figsize: tuple[float, float] = TRAJECTORY_FIGSIZE, seed: int = 0) -> Path:
    """The slides' figure: one joint projection of every word's representation at every chosen
    layer (of one prompt, default the first), coloured by word, each point labelled with its layer
    index and each word's points joined in layer order."""
    prompt = reps.prompt_index[0] if prompt is None else prompt
    rows = [i for i, p in enumerate(reps.prompt_index) if p == prompt]
    if not rows:
        raise ValueError(f"prompt {prompt} has no representations")
    pts = reps.states[rows]  # [n_words, n_layers, D]
    xy = project(pts.reshape(-1, pts.shape[-1]), method, seed).reshape(len(rows), len(reps.layers), 2)
    words = [reps.words[i] for i in rows]
    order, palette = _colours(words)
    fig, ax = plt.subplots(figsize=figsize)
    for k, w in enumerate(words):
        role = reps.roles[rows[k]]
        ax.plot(xy[k, :, 0], xy[k, :, 1], "-o", color=palette[w], ms=4, lw=0.8, alpha=0.8,
                label=w if role == "room" else f"{w} ({role})")
        for j, l in enumerate(reps.layers):
            ax.annotate(str(l), xy[k, j], fontsize=6, color=palette[w])
    ax.legend(fontsize=7, loc="best")
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_title(f"{method.upper()} of room tokens across layers (numbers: layer index)", fontsize=10)
    return _save(fig, path)
