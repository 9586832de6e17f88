"""Merge two sorted lists into one new sorted list (the merge step of merge sort)."""


def merge_sorted(first: list[int], second: list[int]) -> list[int]:
    """
    >>> merge_sorted([1, 3, 5], [2, 4, 6])
    [1, 2, 3, 4, 5, 6]
    >>> merge_sorted([], [1])
    [1]
    >>> merge_sorted([5, 1], [2])
    Traceback (most recent call last):
        ...
    ValueError: both lists must be sorted
    """
    for lst in (first, second):
        for k in range(len(lst) - 1):
            if lst[k] > lst[k + 1]:
                raise ValueError("both lists must be sorted")
    merged = [0] * (len(first) + len(second))
    i = j = k = 0
    while i < len(first) and j < len(second):
        if first[i] <= second[j]:
            merged[k] = first[i]
            i += 1
        else:
            merged[k] = second[j]
            j += 1
        k += 1
    while i < len(first):
        merged[k] = first[i]
        i += 1
        k += 1
    while j < len(second):
        merged[k] = second[j]
        j += 1
        k += 1
    return merged


if __name__ == "__main__":
    import doctest

    doctest.testmod()
