"""
Every value appears twice except one: XOR of all values cancels the pairs and
leaves the single one.
"""


def single_number(nums: list[int]) -> int:
    """
    >>> single_number([2, 2, 1])
    1
    >>> single_number([4, 1, 2, 1, 2])
    4
    >>> single_number([])
    Traceback (most recent call last):
        ...
    ValueError: nums must not be empty
    """
    if len(nums) == 0:
        raise ValueError("nums must not be empty")
    result = 0
    for num in nums:
        result ^= num
    return result


if __name__ == "__main__":
    import doctest

    doctest.testmod()
