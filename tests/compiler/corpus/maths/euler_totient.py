"""
Euler's totient function phi(n): how many integers in 1..n are coprime to n,
computed from the prime factorization: phi(n) = n * prod(1 - 1/p).
"""


def totient(n: int) -> int:
    """
    >>> totient(1)
    1
    >>> totient(9)
    6
    >>> totient(36)
    12
    >>> totient(97)
    96
    >>> totient(0)
    Traceback (most recent call last):
        ...
    ValueError: totient() needs a positive integer, got 0
    """
    if n <= 0:
        raise ValueError(f"totient() needs a positive integer, got {n}")
    result = n
    p = 2
    while p * p <= n:
        if n % p == 0:
            while n % p == 0:
                n //= p
            result -= result // p
        p += 1
    if n > 1:
        result -= result // n
    return result


if __name__ == "__main__":
    import doctest

    doctest.testmod()
