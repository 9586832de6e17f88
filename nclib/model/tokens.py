"""Number tokens: the fixed lexical map between token ids and integers, both directions.

Two tokenizer styles are supported:
- "chunk3" (LLaMA-3): digit runs are split into tokens of 1-3 digits from the left, so
  "12345" -> "123", "45"; every 1-3 digit string is one token.
- "digits" (SmolLM2): one token per digit.

Reading: consecutive number tokens form one number (`acc * 10**ndigits(token) + value(token)`);
a minus token directly before a number makes it negative, unless it is a bare '-' right after a
number ("3-5" reads 3 and 5; "5 -7" reads 5 and -7).
The number is attributed to its *last* token position, which is where the reader's pointer looks.
Symbols (`nc_symbol_tokens`, e.g. the room names " lobby", " A" of the graph task) are read the
same way, one token each, with their fixed value.
Writing: `render(n)` gives the ids the tokenizer itself produces for `str(n)`.
"""

from __future__ import annotations

import torch

from .errors import TokenizerStyleError

# Numbers longer than this many digits are marked as overflowing instead of wrapping int64.
MAX_DIGITS = 18


def _digit_strings(style: str) -> list[str]:
    singles = [str(d) for d in range(10)]
    if style == "digits":
        return singles
    return singles + [f"{i:02d}" for i in range(100)] + [f"{i:03d}" for i in range(1000)]


def detect_number_style(tokenizer) -> str:
    """'chunk3' or 'digits' from how the tokenizer splits '12345'; anything else is an error."""
    pieces = tokenizer.convert_ids_to_tokens(tokenizer("12345", add_special_tokens=False)["input_ids"])
    pieces = [p.lstrip("\u2581").lstrip("\u0120") for p in pieces]
    pieces = [p for p in pieces if p]
    if pieces == ["123", "45"]:
        return "chunk3"
    if pieces == list("12345"):
        return "digits"
    raise TokenizerStyleError(
        f"unsupported number tokenization: '12345' -> {pieces}; NCLlama reads numbers tokenized as "
        "1-3 digit chunks (LLaMA-3) or single digits (SmolLM2)"
    )


def number_token_fields(tokenizer, separator: str = ", ", end_token_ids: list[int] | None = None) -> dict:
    """The `nc_*` config fields describing the tokenizer's numbers, separator and answer end."""
    style = detect_number_style(tokenizer)
    vocab = tokenizer.get_vocab()
    tokens = {}
    for s in _digit_strings(style):
        ids = tokenizer(s, add_special_tokens=False)["input_ids"]
        if len(ids) != 1:
            raise TokenizerStyleError(f"{style} tokenizer should encode {s!r} as one token, got {ids}")
        tokens[s] = ids[0]
    # first the bare '-' (a sign only when not right after a number: "3-5" is 3 and 5), then the
    # space-prefixed minus tokens (always a sign before digits: "5 -7" is 5 and -7)
    minus = [i for i in (vocab.get("-"), vocab.get("\u0120-"), vocab.get("\u2581-")) if i is not None]
    sep = tokenizer(f"1{separator}2", add_special_tokens=False)["input_ids"]
    if len(sep) < 2 or sep[0] != tokens["1"] or sep[-1] != tokens["2"]:
        raise TokenizerStyleError(f"separator {separator!r} does not tokenize apart from digits: '1{separator}2' -> {sep}")
    if end_token_ids is None:
        eos = tokenizer.eos_token_id
        end_token_ids = [] if eos is None else [eos]
    return {
        "nc_number_style": style,
        "nc_number_tokens": tokens,
        "nc_minus_token_ids": minus,
        "nc_separator_token_ids": sep[1:-1],
        "nc_end_token_ids": list(end_token_ids),
    }


class NumberVocab:
    """Lexical maps built from the config's `nc_*` number fields (no tokenizer needed)."""

    def __init__(self, style: str, number_tokens: dict, minus_ids, separator_ids, end_ids, vocab_size: int,
                 symbol_tokens: dict | None = None, label_ids=()):
        self.style = style
        self.number_tokens = {str(k): int(v) for k, v in (number_tokens or {}).items()}
        self.minus_ids = [int(i) for i in (minus_ids or [])]
        self.separator_ids = [int(i) for i in (separator_ids or [])]
        self.end_ids = [int(i) for i in (end_ids or [])]
        self.vocab_size = vocab_size
        self.symbol_tokens = {int(k): int(v) for k, v in (symbol_tokens or {}).items()}
        bad = {s: i for s, i in self.number_tokens.items() if not 0 <= i < vocab_size}
        bad.update({f"symbol {v}": i for i, v in self.symbol_tokens.items() if not 0 <= i < vocab_size})
        clash = sorted(set(self.symbol_tokens) & set(self.number_tokens.values()))
        if clash:
            raise TokenizerStyleError(f"symbol tokens {clash} are also number tokens")
        bad.update({"minus/separator/end": i for i in self.minus_ids + self.separator_ids + self.end_ids if not 0 <= i < vocab_size})
        if bad:
            raise TokenizerStyleError(f"token ids outside the vocabulary (size {vocab_size}): {bad}")
        cpu = torch.device("cpu")  # explicit: from_pretrained builds modules under a meta-device context
        value = torch.full((vocab_size,), -1, dtype=torch.long, device=cpu)
        ndigits = torch.zeros(vocab_size, dtype=torch.long, device=cpu)
        for s, i in self.number_tokens.items():
            value[i], ndigits[i] = int(s), len(s)
        is_minus = torch.zeros(vocab_size, dtype=torch.bool, device=cpu)
        is_minus[self.minus_ids] = True
        spaced_minus = torch.zeros(vocab_size, dtype=torch.bool, device=cpu)
        spaced_minus[self.minus_ids[1:]] = True
        self.token_is_spaced_minus = spaced_minus
        self.token_value, self.token_ndigits, self.token_is_minus = value, ndigits, is_minus
        symbol = torch.full((vocab_size,), -1, dtype=torch.long, device=cpu)
        for i, v in self.symbol_tokens.items():
            symbol[i] = v
        self.token_symbol = symbol
        # The writer's candidate tokens: digit tokens, minus, separator, end, then the routines' label tokens.
        labels = [int(t) for t in label_ids]
        cands = list(dict.fromkeys(list(self.number_tokens.values()) + self.minus_ids[:1] + self.separator_ids + self.end_ids + labels))
        self.candidate_ids = torch.tensor(cands, dtype=torch.long, device=cpu)
        self.candidate_index = {t: k for k, t in enumerate(cands)}

    @classmethod
    def from_config(cls, config) -> "NumberVocab":
        labels = [t for r in config.nc_routines or [] for ids in r.get("labels") or [] for t in ids]
        return cls(config.nc_number_style, config.nc_number_tokens, config.nc_minus_token_ids,
                   config.nc_separator_token_ids, config.nc_end_token_ids, config.vocab_size,
                   symbol_tokens=config.nc_symbol_tokens, label_ids=labels)

    @property
    def usable(self) -> bool:
        return bool(self.number_tokens)

    def render(self, n: int) -> list[int]:
        """Token ids of str(n), split the way the tokenizer splits it."""
        digits = str(abs(int(n)))
        size = 3 if self.style == "chunk3" else 1
        ids = [self.number_tokens[digits[i:i + size]] for i in range(0, len(digits), size)]
        if n < 0:
            if not self.minus_ids:
                raise TokenizerStyleError(f"cannot render {n}: the tokenizer has no '-' token")
            ids = self.minus_ids[:1] + ids
        return ids

    def render_value(self, n: int, lo: int = 0, labels: list | None = None) -> list[int]:
        """Token ids written for an output value: its label's tokens when the routine has labels
        (value lo -> labels[0], ...), else render(n)."""
        if labels:
            if not 0 <= n - lo < len(labels):
                raise ValueError(f"output value {n} has no label (labels cover {lo}..{lo + len(labels) - 1})")
            return [int(t) for t in labels[n - lo]]
        return self.render(n)

    def render_table(self, lo: int, V: int, labels: list | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        """(table [V, D], lengths [V]): candidate indices of render_value(lo + i), padded with -1
        (values without a label render as nothing)."""
        rows = [[self.candidate_index[t] for t in self.render_value(lo + i, lo, labels)] if not labels or i < len(labels) else []
                for i in range(V)]
        D = max(1, max(len(r) for r in rows))
        cpu = torch.device("cpu")
        table = torch.full((V, D), -1, dtype=torch.long, device=cpu)
        for i, r in enumerate(rows):
            table[i, : len(r)] = torch.tensor(r, device=cpu)
        return table, torch.tensor([len(r) for r in rows], device=cpu)

    def symbol_mask(self, input_ids: torch.Tensor) -> torch.Tensor:
        """[B, T] bool: positions holding a symbol token (read as a value by `read_numbers`)."""
        ids = input_ids.clamp(0, self.vocab_size - 1)
        inside = (input_ids >= 0) & (input_ids < self.vocab_size)
        return (self.token_symbol.to(input_ids.device)[ids] >= 0) & inside

    def read_numbers(self, input_ids: torch.Tensor, valid: torch.Tensor | None = None):
        """Numbers in a batch of token ids, attributed to their last token.

        input_ids: [B, T] int64; valid: [B, T] bool (False for padding).
        Returns (value [B, T] int64, is_end [B, T] bool, overflow [B, T] bool): at positions where
        is_end is True a number ends and `value` holds it (meaningless where overflow is True).
        """
        B, T = input_ids.shape
        dev = input_ids.device
        ids = input_ids.clamp(0, self.vocab_size - 1)
        tv = self.token_value.to(dev)[ids]  # [B, T]
        nd = self.token_ndigits.to(dev)[ids]
        minus = self.token_is_minus.to(dev)[ids]
        spaced = self.token_is_spaced_minus.to(dev)[ids]
        is_num = (tv >= 0) & ((input_ids >= 0) & (input_ids < self.vocab_size))
        if valid is not None:
            is_num = is_num & valid
        # A short Python loop over T with vectorized batch ops: T is a prompt length and this is
        # integer bookkeeping, not on the gradient path.
        acc = torch.zeros(B, dtype=torch.long, device=dev)
        digits = torch.zeros(B, dtype=torch.long, device=dev)
        sign = torch.ones(B, dtype=torch.long, device=dev)
        value = torch.zeros(B, T, dtype=torch.long, device=dev)
        overflow = torch.zeros(B, T, dtype=torch.bool, device=dev)
        prev_num = torch.zeros(B, dtype=torch.bool, device=dev)
        prev_minus_sign = torch.zeros(B, dtype=torch.bool, device=dev)
        pow10 = 10 ** nd.clamp(max=3)
        for t in range(T):
            n = is_num[:, t]
            start = n & ~prev_num
            sign = torch.where(start, torch.where(prev_minus_sign, -1, 1), sign)
            acc = torch.where(start, 0, acc)
            digits = torch.where(start, 0, digits)
            digits = torch.where(n, digits + nd[:, t], digits)
            ok = digits <= MAX_DIGITS
            acc = torch.where(n & ok, acc * pow10[:, t] + tv[:, t], acc)
            value[:, t] = sign * acc
            overflow[:, t] = ~ok
            prev_minus_sign = minus[:, t] & (~prev_num | spaced[:, t])
            prev_num = n
        is_end = is_num & ~torch.cat([is_num[:, 1:], torch.zeros(B, 1, dtype=torch.bool, device=dev)], 1)
        overflow = overflow & is_num
        if self.symbol_tokens:
            sym = self.token_symbol.to(dev)[ids]  # [B, T]
            is_sym = self.symbol_mask(input_ids)
            if valid is not None:
                is_sym = is_sym & valid
            value = torch.where(is_sym, sym, value)
            is_end = is_end | is_sym
        return value, is_end, overflow


__all__ = ["NumberVocab", "detect_number_style", "number_token_fields"]
