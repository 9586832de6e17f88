"""
Quicksort with the Lomuto partition scheme, sorting in place.

The last element of the range is the pivot; elements smaller than or equal to
the pivot are moved before it, the rest after it, and both sides are sorted
recursively.

https://en.wikipedia.org/wiki/Quicksort
"""


def partition(array: list[int], low: int, high: int) -> int:
    """Partition array[low:high + 1] around array[high]; return the pivot's index.

    >>> data = [3, 7, 1, 5]
    >>> partition(data, 0, 3)
    2
    >>> data
    [3, 1, 5, 7]
    """
    pivot = array[high]
    i = low - 1
    for j in range(low, high):
        if array[j] <= pivot:
            i += 1
            array[i], array[j] = array[j], array[i]
    array[i + 1], array[high] = array[high], array[i + 1]
    return i + 1


def _quick_sort(array: list[int], low: int, high: int) -> None:
    if low < high:
        pivot_index = partition(array, low, high)
        _quick_sort(array, low, pivot_index - 1)
        _quick_sort(array, pivot_index + 1, high)


def quick_sort(array: list[int]) -> list[int]:
    """Sort array in place and return it.

    >>> quick_sort([0, 5, 3, 2, 2])
    [0, 2, 2, 3, 5]
    >>> quick_sort([])
    []
    >>> quick_sort([-2, 5, 0, -45])
    [-45, -2, 0, 5]
    """
    _quick_sort(array, 0, len(array) - 1)
    return array


if __name__ == "__main__":
    import doctest

    doctest.testmod()
