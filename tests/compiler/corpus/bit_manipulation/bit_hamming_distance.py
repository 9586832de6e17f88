"""Number of bit positions where two non-negative integers differ."""


def hamming_distance(x: int, y: int) -> int:
    """
    >>> hamming_distance(1, 4)
    2
    >>> hamming_distance(3, 1)
    1
    >>> hamming_distance(-1, 1)
    Traceback (most recent call last):
        ...
    ValueError: Both inputs must be non-negative
    """
    if x < 0 or y < 0:
        raise ValueError("Both inputs must be non-negative")
    xor = x ^ y
    distance = 0
    while xor > 0:
        distance += xor & 1
        xor >>= 1
    return distance


if __name__ == "__main__":
    import doctest

    doctest.testmod()
