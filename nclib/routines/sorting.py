"""Sorting and searching on lists of ints."""


def insertion_sort(a: list[int]) -> list[int]:
    """Insertion sort, in place; returns the list. The index never goes below 0 (the
    `j > 0 and a[j - 1] > x` form), so it runs in unsigned value windows too."""
    for i in range(1, len(a)):
        x = a[i]
        j = i
        while j > 0 and a[j - 1] > x:
            a[j] = a[j - 1]
            j -= 1
        a[j] = x
    return a


def bubble_sort(a: list[int]) -> list[int]:
    """Bubble sort with early exit when a pass swaps nothing."""
    n = len(a)
    for i in range(n):
        swapped = False
        for j in range(n - 1 - i):
            if a[j] > a[j + 1]:
                a[j], a[j + 1] = a[j + 1], a[j]
                swapped = True
        if not swapped:
            break
    return a


def binary_search(a: list[int], x: int) -> int:
    """Index of the first element >= x in the sorted list a (len(a) if there is none), like bisect_left."""
    lo, hi = 0, len(a)
    while lo < hi:
        mid = (lo + hi) // 2
        if a[mid] < x:
            lo = mid + 1
        else:
            hi = mid
    return lo
