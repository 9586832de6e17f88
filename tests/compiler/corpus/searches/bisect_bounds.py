"""
bisect_left and bisect_right, as in the standard library's bisect module:
the leftmost (rightmost) position where an item can be inserted into a
sorted list keeping it sorted.
"""


def bisect_left(sorted_collection: list[int], item: int, lo: int = 0, hi: int = -1) -> int:
    """
    Locates the first element in a sorted array that is larger or equal to a given
    value.

    :param sorted_collection: some ascending sorted collection with comparable items
    :param item: item to bisect
    :param lo: lowest index to consider (as in sorted_collection[lo:hi])
    :param hi: past the highest index to consider (as in sorted_collection[lo:hi])
    :return: index i such that all values in sorted_collection[lo:i] are < item and all
        values in sorted_collection[i:hi] are >= item.

    Examples:
    >>> bisect_left([0, 5, 7, 10, 15], 0)
    0
    >>> bisect_left([0, 5, 7, 10, 15], 6)
    2
    >>> bisect_left([0, 5, 7, 10, 15], 20)
    5
    >>> bisect_left([0, 5, 7, 10, 15], 15, 1, 3)
    3
    >>> bisect_left([0, 5, 7, 10, 15], 6, 2)
    2
    """
    if hi < 0:
        hi = len(sorted_collection)

    while lo < hi:
        mid = lo + (hi - lo) // 2
        if sorted_collection[mid] < item:
            lo = mid + 1
        else:
            hi = mid

    return lo


def bisect_right(sorted_collection: list[int], item: int, lo: int = 0, hi: int = -1) -> int:
    """
    Locates the first element in a sorted array that is larger than a given value.

    Examples:
    >>> bisect_right([0, 5, 7, 10, 15], 0)
    1
    >>> bisect_right([0, 5, 7, 10, 15], 15)
    5
    >>> bisect_right([0, 5, 7, 10, 15], 6)
    2
    >>> bisect_right([0, 5, 7, 10, 15], 15, 1, 3)
    3
    """
    if hi < 0:
        hi = len(sorted_collection)

    while lo < hi:
        mid = lo + (hi - lo) // 2
        if sorted_collection[mid] <= item:
            lo = mid + 1
        else:
            hi = mid

    return lo


def count_occurrences(sorted_collection: list[int], item: int) -> int:
    """Number of times item occurs in a sorted list, in O(log n).

    >>> count_occurrences([1, 2, 2, 2, 3], 2)
    3
    >>> count_occurrences([1, 2, 2, 2, 3], 4)
    0
    """
    return bisect_right(sorted_collection, item) - bisect_left(sorted_collection, item)


if __name__ == "__main__":
    import doctest

    doctest.testmod()
