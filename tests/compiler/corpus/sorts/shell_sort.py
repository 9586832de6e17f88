"""
Shell sort: insertion sort over elements a gap apart, for a decreasing
sequence of gaps ending with 1. This version uses Knuth's gap sequence
1, 4, 13, 40, ... (h = 3h + 1).

https://en.wikipedia.org/wiki/Shellsort
"""


def shell_sort(collection: list[int]) -> list[int]:
    """Sort collection in place using Shell sort with Knuth's gaps.

    >>> shell_sort([0, 5, 3, 2, 2])
    [0, 2, 2, 3, 5]
    >>> shell_sort([])
    []
    >>> shell_sort([-2, -5, -45])
    [-45, -5, -2]
    """
    gap = 1
    while gap < len(collection) // 3:
        gap = 3 * gap + 1

    while gap >= 1:
        for i in range(gap, len(collection)):
            insert_value = collection[i]
            j = i
            while j >= gap and collection[j - gap] > insert_value:
                collection[j] = collection[j - gap]
                j -= gap
            collection[j] = insert_value
        gap //= 3
    return collection


if __name__ == "__main__":
    from doctest import testmod

    testmod()
