"""Reverse the order of the lowest `width` bits of a number."""

WIDTH = 8


def reverse_bits(number: int, width: int = WIDTH) -> int:
    """
    >>> reverse_bits(1)
    128
    >>> reverse_bits(6)
    96
    >>> reverse_bits(0b1011, 4)
    13
    >>> reverse_bits(256)
    Traceback (most recent call last):
        ...
    ValueError: 256 does not fit in 8 bits
    """
    if number < 0 or number >= 1 << width:
        raise ValueError(f"{number} does not fit in {width} bits")
    result = 0
    for _ in range(width):
        result = (result << 1) | (number & 1)
        number >>= 1
    return result


if __name__ == "__main__":
    import doctest

    doctest.testmod()
