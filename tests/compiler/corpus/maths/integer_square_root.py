"""
Integer square root by Newton's method on integers: the largest r with
r * r <= n.
"""


def integer_sqrt(n: int) -> int:
    """
    >>> integer_sqrt(0)
    0
    >>> integer_sqrt(15)
    3
    >>> integer_sqrt(16)
    4
    >>> integer_sqrt(99)
    9
    >>> integer_sqrt(-1)
    Traceback (most recent call last):
        ...
    ValueError: integer_sqrt() of a negative number: -1
    """
    if n < 0:
        raise ValueError(f"integer_sqrt() of a negative number: {n}")
    if n < 2:
        return n
    x = n
    y = (x + 1) // 2
    while y < x:
        x = y
        y = (x + n // x) // 2
    return x


if __name__ == "__main__":
    import doctest

    doctest.testmod()
