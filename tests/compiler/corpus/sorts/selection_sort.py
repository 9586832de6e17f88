"""Selection sort.

Finds the minimum of the unsorted suffix and swaps it to the front of the
suffix, growing the sorted prefix by one element per pass.
"""


def selection_sort(collection: list[int]) -> list[int]:
    """Sort a list in ascending order using selection sort.

    >>> selection_sort([0, 5, 3, 2, 2])
    [0, 2, 2, 3, 5]
    >>> selection_sort([])
    []
    >>> selection_sort([-2, -5, -45])
    [-45, -5, -2]
    """
    length = len(collection)
    for i in range(length - 1):
        min_index = i
        for k in range(i + 1, length):
            if collection[k] < collection[min_index]:
                min_index = k
        if min_index != i:
            collection[i], collection[min_index] = collection[min_index], collection[i]
    return collection


if __name__ == "__main__":
    import doctest

    doctest.testmod()
