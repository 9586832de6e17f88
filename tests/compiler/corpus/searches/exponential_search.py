"""
Exponential search: find a range [bound / 2, bound] that contains the target
by doubling bound, then binary search inside that range.
"""


def binary_search_range(arr: list[int], left: int, right: int, target: int) -> int:
    """Binary search for target in arr[left:right + 1]; -1 if absent."""
    while left <= right:
        mid = (left + right) // 2
        if arr[mid] == target:
            return mid
        if arr[mid] < target:
            left = mid + 1
        else:
            right = mid - 1
    return -1


def exponential_search(arr: list[int], target: int) -> int:
    """
    Return the index of target in the sorted list arr, or -1.

    >>> exponential_search([1, 2, 3, 4, 5], 3)
    2
    >>> exponential_search([1, 2, 3, 4, 5], 6)
    -1
    >>> exponential_search([], 6)
    -1
    >>> exponential_search([10, 20, 30, 40, 50, 60], 10)
    0
    """
    if len(arr) == 0:
        return -1
    if arr[0] == target:
        return 0

    bound = 1
    while bound < len(arr) and arr[bound] <= target:
        bound *= 2

    return binary_search_range(arr, bound // 2, min(bound, len(arr) - 1), target)


if __name__ == "__main__":
    import doctest

    doctest.testmod()
