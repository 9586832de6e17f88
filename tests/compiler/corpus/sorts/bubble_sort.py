"""
Bubble sort.

Repeatedly steps through the list, compares adjacent elements and swaps them
if they are in the wrong order. The pass over the list is repeated until no
swaps are needed, which means the list is sorted.

Worst-case time complexity: O(n^2); best case (already sorted): O(n).

https://en.wikipedia.org/wiki/Bubble_sort
"""


def bubble_sort(collection: list[int]) -> list[int]:
    """Sort a list of integers in ascending order, in place, and return it.

    >>> bubble_sort([5, 2, 9, 1])
    [1, 2, 5, 9]
    >>> bubble_sort([])
    []
    >>> bubble_sort([-2, -5, -45])
    [-45, -5, -2]
    >>> bubble_sort([1, 1, 1])
    [1, 1, 1]
    """
    if not isinstance(collection, list):
        raise TypeError("bubble_sort() expects a list")
    length = len(collection)
    for i in range(length - 1):
        swapped = False
        for j in range(length - 1 - i):
            if collection[j] > collection[j + 1]:
                swapped = True
                collection[j], collection[j + 1] = collection[j + 1], collection[j]
        if not swapped:
            break  # Stop iteration if the collection is sorted.
    return collection


if __name__ == "__main__":
    import doctest

    doctest.testmod()
    unsorted = [int(item) for item in "3 1 4 1 5 9 2 6".split()]
    print(bubble_sort(unsorted))
