"""The second largest distinct value of a list, in one pass."""


def second_largest(numbers: list[int]) -> int:
    """
    >>> second_largest([3, 5, 1, 5, 4])
    4
    >>> second_largest([-1, -7])
    -7
    >>> second_largest([2, 2])
    Traceback (most recent call last):
        ...
    ValueError: need at least two distinct values
    """
    if len(numbers) < 2:
        raise ValueError("need at least two distinct values")
    largest = second = None
    for number in numbers:
        if largest is None or number > largest:
            second = largest
            largest = number
        elif number != largest and (second is None or number > second):
            second = number
    if second is None:
        raise ValueError("need at least two distinct values")
    return second


if __name__ == "__main__":
    import doctest

    doctest.testmod()
