"""
Pancake sort: the only allowed operation is "flip", which reverses the
prefix arr[0:k]. Each round flips the maximum of the unsorted prefix to the
top and then down to its final place.

https://en.wikipedia.org/wiki/Pancake_sorting
"""


def flip(arr: list[int], k: int) -> None:
    """Reverse arr[0:k] in place.

    >>> data = [1, 2, 3, 4]
    >>> flip(data, 3)
    >>> data
    [3, 2, 1, 4]
    """
    left = 0
    right = k - 1
    while left < right:
        arr[left], arr[right] = arr[right], arr[left]
        left += 1
        right -= 1


def find_max_index(arr: list[int], n: int) -> int:
    """Index of the largest element among the first n elements."""
    max_index = 0
    for i in range(1, n):
        if arr[i] > arr[max_index]:
            max_index = i
    return max_index


def pancake_sort(arr: list[int]) -> list[int]:
    """Sort arr in place using prefix reversals only and return it.

    >>> pancake_sort([0, 10, 15, 3, 2, 9, 14, 13])
    [0, 2, 3, 9, 10, 13, 14, 15]
    >>> pancake_sort([])
    []
    >>> pancake_sort([-2, -5, -45])
    [-45, -5, -2]
    """
    cur = len(arr)
    while cur > 1:
        mi = find_max_index(arr, cur)
        if mi != cur - 1:
            flip(arr, mi + 1)
            flip(arr, cur)
        cur -= 1
    return arr


if __name__ == "__main__":
    import doctest

    doctest.testmod()
