"""
The Collatz conjecture: starting from any positive integer n, repeatedly
apply n -> n / 2 (n even) or n -> 3n + 1 (n odd); the sequence reaches 1.
"""


def collatz_steps(n: int) -> int:
    """Number of steps the Collatz sequence of n takes to reach 1.

    >>> collatz_steps(1)
    0
    >>> collatz_steps(6)
    8
    >>> collatz_steps(27) > 100
    True
    >>> collatz_steps(0)
    Traceback (most recent call last):
        ...
    Exception: Sequence only defined for positive integers
    """
    if not isinstance(n, int) or n < 1:
        raise Exception("Sequence only defined for positive integers")
    steps = 0
    while n != 1:
        if n % 2 == 0:
            n //= 2
        else:
            n = 3 * n + 1
        steps += 1
    return steps


if __name__ == "__main__":
    import doctest

    doctest.testmod()
