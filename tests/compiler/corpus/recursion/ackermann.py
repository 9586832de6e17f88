"""
The Ackermann function, a total computable function that is not primitive
recursive. Only tiny arguments finish quickly.
"""


def ackermann(m: int, n: int) -> int:
    """
    >>> ackermann(0, 0)
    1
    >>> ackermann(1, 2)
    4
    >>> ackermann(2, 3)
    9
    >>> ackermann(-1, 0)
    Traceback (most recent call last):
        ...
    ValueError: ackermann() is defined for non-negative integers only
    """
    if m < 0 or n < 0:
        raise ValueError("ackermann() is defined for non-negative integers only")
    if m == 0:
        return n + 1
    if n == 0:
        return ackermann(m - 1, 1)
    return ackermann(m - 1, ackermann(m, n - 1))


if __name__ == "__main__":
    import doctest

    doctest.testmod()
