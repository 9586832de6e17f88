"""Hamming distance: the number of positions where two equal-length sequences differ."""


def hamming_distance(string1: list[int], string2: list[int]) -> int:
    """Calculate the Hamming distance between two equal length sequences.
    In information theory, the Hamming distance between two strings of equal
    length is the number of positions at which the corresponding symbols are
    different. https://en.wikipedia.org/wiki/Hamming_distance

    Args:
        string1 (list[int]): Sequence 1
        string2 (list[int]): Sequence 2

    Returns:
        int: Hamming distance

    >>> hamming_distance([1, 2, 3], [1, 2, 3])
    0
    >>> hamming_distance([1, 0, 0, 1], [0, 0, 1, 1])
    2
    >>> hamming_distance([1], [1, 2])
    Traceback (most recent call last):
      ...
    ValueError: String lengths must match!
    """
    if len(string1) != len(string2):
        raise ValueError("String lengths must match!")

    count = 0

    for char1, char2 in zip(string1, string2):
        if char1 != char2:
            count += 1

    return count


if __name__ == "__main__":
    import doctest

    doctest.testmod()
