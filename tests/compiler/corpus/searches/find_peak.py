"""
Find a peak element: an element that is not smaller than its neighbours.
Divide and conquer on the slope at the middle finds one in O(log n).
"""


def find_peak(lst: list[int]) -> int:
    """
    Return the index of a peak element of a non-empty list.

    >>> find_peak([1, 3, 20, 4, 1, 0])
    2
    >>> find_peak([10, 20, 15, 2, 23, 90, 67])
    5
    >>> find_peak([7])
    0
    >>> find_peak([])
    Traceback (most recent call last):
        ...
    ValueError: find_peak() arg is an empty list
    """
    if not lst:
        raise ValueError("find_peak() arg is an empty list")
    low, high = 0, len(lst) - 1
    while low < high:
        mid = (low + high) // 2
        if lst[mid] < lst[mid + 1]:
            low = mid + 1
        else:
            high = mid
    return low


if __name__ == "__main__":
    import doctest

    doctest.testmod()
