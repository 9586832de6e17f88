"""Reverse a list recursively by swapping the outer pair and recursing inward."""


def reverse_between(items: list[int], left: int, right: int) -> None:
    if left >= right:
        return
    items[left], items[right] = items[right], items[left]
    reverse_between(items, left + 1, right - 1)


def reverse_list(items: list[int]) -> list[int]:
    """
    >>> reverse_list([1, 2, 3])
    [3, 2, 1]
    >>> reverse_list([])
    []
    """
    reverse_between(items, 0, len(items) - 1)
    return items


if __name__ == "__main__":
    import doctest

    doctest.testmod()
