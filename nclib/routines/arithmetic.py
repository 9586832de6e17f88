"""Arithmetic routines. Results wrap in the value window; Program.__call__ raises on overflow."""


def add(a: int, b: int) -> int:
    return a + b


def sub(a: int, b: int) -> int:
    return a - b


def mul(a: int, b: int) -> int:
    return a * b


def divmod(a: int, b: int) -> list[int]:
    """[a // b, a % b]."""
    return [a // b, a % b]


def compare(a: int, b: int) -> int:
    """The sign of a - b, shifted by one so that it fits unsigned windows: 0 (<), 1 (==), 2 (>)."""
    if a < b:
        return 0
    if a == b:
        return 1
    return 2


def factorial(n: int) -> int:
    result = 1
    for k in range(2, n + 1):
        result *= k
    return result


def gcd(a: int, b: int) -> int:
    """Euclid's algorithm."""
    while b:
        a, b = b, a % b
    return a
