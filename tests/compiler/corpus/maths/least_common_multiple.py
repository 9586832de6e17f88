"""
Least common multiple of two positive integers, through the identity
lcm(a, b) * gcd(a, b) = a * b.
"""


def greatest_common_divisor(a: int, b: int) -> int:
    while b:
        a, b = b, a % b
    return a


def least_common_multiple(first_num: int, second_num: int) -> int:
    """Find the least common multiple of two numbers.

    >>> least_common_multiple(5, 2)
    10
    >>> least_common_multiple(12, 76)
    228
    >>> least_common_multiple(0, 3)
    Traceback (most recent call last):
        ...
    ValueError: least_common_multiple() only accepts positive integers
    """
    if first_num <= 0 or second_num <= 0:
        raise ValueError("least_common_multiple() only accepts positive integers")
    return first_num // greatest_common_divisor(first_num, second_num) * second_num


if __name__ == "__main__":
    import doctest

    doctest.testmod()
