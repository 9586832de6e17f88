"""Rotate a list to the right by `steps` positions (negative steps rotate left)."""


def rotate_array(arr: list[int], steps: int) -> list[int]:
    """
    >>> rotate_array([1, 2, 3, 4, 5], 2)
    [4, 5, 1, 2, 3]
    >>> rotate_array([1, 2, 3, 4, 5], -1)
    [2, 3, 4, 5, 1]
    >>> rotate_array([1, 2, 3], 7)
    [3, 1, 2]
    >>> rotate_array([], 3)
    []
    """
    n = len(arr)
    if n == 0:
        return arr
    k = steps % n
    return arr[-k:] + arr[:-k] if k else arr[:]


def reverse(arr: list[int], start: int, end: int) -> None:
    while start < end:
        arr[start], arr[end] = arr[end], arr[start]
        start += 1
        end -= 1


def rotate_in_place(arr: list[int], steps: int) -> list[int]:
    """Same rotation with three reversals and O(1) extra space.

    >>> rotate_in_place([1, 2, 3, 4, 5], 2)
    [4, 5, 1, 2, 3]
    >>> rotate_in_place([1, 2, 3, 4, 5], -1)
    [2, 3, 4, 5, 1]
    >>> rotate_in_place([], 3)
    []
    """
    n = len(arr)
    if n == 0:
        return arr
    k = steps % n
    reverse(arr, 0, n - 1)
    reverse(arr, 0, k - 1)
    reverse(arr, k, n - 1)
    return arr


if __name__ == "__main__":
    import doctest

    doctest.testmod()
