"""Convert a list of binary digits (most significant first) to its integer value."""


def bits_to_int(bits: list[int]) -> int:
    """
    >>> bits_to_int([1, 0, 1])
    5
    >>> bits_to_int([0, 0, 1, 1])
    3
    >>> bits_to_int([])
    0
    >>> bits_to_int([1, 2])
    Traceback (most recent call last):
        ...
    ValueError: Non-binary value was passed to the function
    """
    value = 0
    for bit in bits:
        if bit not in (0, 1):
            raise ValueError("Non-binary value was passed to the function")
        value = (value << 1) | bit
    return value


if __name__ == "__main__":
    from doctest import testmod

    testmod()
