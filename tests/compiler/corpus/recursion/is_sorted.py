"""Check recursively whether a list is sorted in non-decreasing order."""


def is_sorted(items: list[int], start: int = 0) -> bool:
    """
    >>> is_sorted([1, 2, 2, 5])
    True
    >>> is_sorted([3, 1])
    False
    >>> is_sorted([])
    True
    """
    if start >= len(items) - 1:
        return True
    if items[start] > items[start + 1]:
        return False
    return is_sorted(items, start + 1)


if __name__ == "__main__":
    import doctest

    doctest.testmod()
