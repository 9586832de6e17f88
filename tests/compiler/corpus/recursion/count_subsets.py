"""
Count the subsets of a list whose elements add up to a target, by the
include / exclude recursion over the elements.
"""


def count_subsets(numbers: list[int], target: int, index: int = 0) -> int:
    """
    >>> count_subsets([1, 2, 3], 3)
    2
    >>> count_subsets([], 0)
    1
    >>> count_subsets([2, 4], 5)
    0
    """
    if index == len(numbers):
        return 1 if target == 0 else 0
    with_item = count_subsets(numbers, target - numbers[index], index + 1)
    without_item = count_subsets(numbers, target, index + 1)
    return with_item + without_item


if __name__ == "__main__":
    import doctest

    doctest.testmod()
