"""Reverse a list in place by swapping from both ends toward the middle."""


def reverse_array(arr: list[int]) -> list[int]:
    """
    >>> reverse_array([1, 2, 3, 4, 5])
    [5, 4, 3, 2, 1]
    >>> reverse_array([])
    []
    >>> reverse_array([7, -7])
    [-7, 7]
    """
    left, right = 0, len(arr) - 1
    while left < right:
        arr[left], arr[right] = arr[right], arr[left]
        left += 1
        right -= 1
    return arr


if __name__ == "__main__":
    import doctest

    doctest.testmod()
