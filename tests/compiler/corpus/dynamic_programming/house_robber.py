"""
House robber: the largest sum of non-adjacent elements of a list of
non-negative amounts.
"""


def house_robber(nums: list[int]) -> int:
    """
    >>> house_robber([1, 2, 3, 1])
    4
    >>> house_robber([2, 7, 9, 3, 1])
    12
    >>> house_robber([])
    0
    >>> house_robber([3, -1])
    Traceback (most recent call last):
        ...
    ValueError: amounts must be non-negative
    """
    for amount in nums:
        if amount < 0:
            raise ValueError("amounts must be non-negative")
    include = exclude = 0
    for amount in nums:
        include, exclude = exclude + amount, max(include, exclude)
    return max(include, exclude)


if __name__ == "__main__":
    import doctest

    doctest.testmod()
