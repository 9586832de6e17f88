"""Sum of a list by recursion on the index of the last element."""


def sum_recursive(numbers: list[int], n: int) -> int:
    """Sum of the first n elements.

    >>> sum_recursive([1, 2, 3, 4], 4)
    10
    >>> sum_recursive([1, 2, 3, 4], 0)
    0
    """
    if n <= 0:
        return 0
    return numbers[n - 1] + sum_recursive(numbers, n - 1)


def list_sum(numbers: list[int]) -> int:
    """
    >>> list_sum([5, -2, 7])
    10
    >>> list_sum([])
    0
    """
    return sum_recursive(numbers, len(numbers))


if __name__ == "__main__":
    import doctest

    doctest.testmod()
