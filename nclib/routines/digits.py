"""Decimal digits <-> values (how the model turns digit tokens into numbers and back)."""


def parse_digits(digits: list[int]) -> int:
    """[1, 2, 3] -> 123 (most significant digit first)."""
    value = 0
    for d in digits:
        value = value * 10 + d
    return value


def render_digits(x: int) -> list[int]:
    """123 -> [1, 2, 3]; 0 -> [0]."""
    count = 1
    rest = x // 10
    while rest > 0:
        count += 1
        rest //= 10
    out = [0] * count
    for i in reversed(range(count)):
        out[i] = x % 10
        x //= 10
    return out
