"""
Binary exponentiation (exponentiation by squaring), modulo m.

Computes (base ** exponent) % modulus in O(log exponent) multiplications by
squaring the base and reading the exponent bit by bit.
"""


def binary_exp_mod(base: int, exponent: int, modulus: int) -> int:
    """
    >>> binary_exp_mod(3, 4, 5)
    1
    >>> binary_exp_mod(7, 13, 10)
    7
    >>> binary_exp_mod(2, 0, 7)
    1
    >>> binary_exp_mod(2, -1, 7)
    Traceback (most recent call last):
        ...
    ValueError: Exponent must be non-negative.
    """
    if exponent < 0:
        raise ValueError("Exponent must be non-negative.")
    if modulus <= 0:
        raise ValueError("Modulus must be positive.")
    result = 1
    base %= modulus
    while exponent > 0:
        if exponent & 1:
            result = (result * base) % modulus
        base = (base * base) % modulus
        exponent >>= 1
    return result % modulus


if __name__ == "__main__":
    import doctest

    doctest.testmod()
    print(f"{binary_exp_mod(3, 200, 13) = }")
