"""Length of the longest common prefix of two sequences."""


def longest_common_prefix(first: list[int], second: list[int]) -> int:
    """
    >>> longest_common_prefix([102, 108, 111, 119], [102, 108, 105, 103])
    2
    >>> longest_common_prefix([], [1])
    0
    >>> longest_common_prefix([4, 5], [4, 5])
    2
    """
    length = 0
    for a, b in zip(first, second):
        if a != b:
            break
        length += 1
    return length


if __name__ == "__main__":
    import doctest

    doctest.testmod()
