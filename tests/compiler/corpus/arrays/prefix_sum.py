"""Prefix sums: after O(n) preprocessing, the sum of any range in O(1)."""


def prefix_sums(array: list[int]) -> list[int]:
    """
    >>> prefix_sums([1, 2, 3])
    [1, 3, 6]
    >>> prefix_sums([])
    []
    """
    sums = []
    running = 0
    for value in array:
        running += value
        sums.append(running)
    return sums


def range_sum(array: list[int], start: int, end: int) -> int:
    """
    Sum of array[start..end] inclusive.

    >>> range_sum([1, 2, 3, 4], 1, 2)
    5
    >>> range_sum([1, 2, 3, 4], 0, 3)
    10
    >>> range_sum([1, 2, 3], 2, 1)
    Traceback (most recent call last):
        ...
    ValueError: invalid range 2..1 for a list of length 3
    """
    if start < 0 or end >= len(array) or start > end:
        raise ValueError(f"invalid range {start}..{end} for a list of length {len(array)}")
    sums = prefix_sums(array)
    if start == 0:
        return sums[end]
    return sums[end] - sums[start - 1]


if __name__ == "__main__":
    import doctest

    doctest.testmod()
