"""
Integer power by recursion. power(a, b) = a ** b for b >= 0, using
a ** b = (a ** (b // 2)) ** 2 * a ** (b % 2).
"""


def actual_power(a: int, b: int) -> int:
    """
    Function using divide and conquer to calculate a^b.
    It only works for integer a,b.

    >>> actual_power(2, 10)
    1024
    >>> actual_power(-3, 3)
    -27
    >>> actual_power(5, 0)
    1
    """
    if b == 0:
        return 1
    half = actual_power(a, b // 2)
    if (b % 2) == 0:
        return half * half
    else:
        return a * half * half


def power(a: int, b: int) -> int:
    """
    >>> power(4, 6)
    4096
    >>> power(2, 3)
    8
    >>> power(-2, 3)
    -8
    >>> power(2, -3)
    Traceback (most recent call last):
        ...
    ValueError: negative exponents give fractions; got b=-3
    """
    if b < 0:
        raise ValueError(f"negative exponents give fractions; got b={b}")
    return actual_power(a, b)


if __name__ == "__main__":
    print(power(-2, 3))
