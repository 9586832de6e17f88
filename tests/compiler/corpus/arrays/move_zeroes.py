"""Move every zero to the end of the list, keeping the order of the other elements."""


def move_zeroes(nums: list[int]) -> None:
    """
    Modifies nums in place; returns nothing.

    >>> data = [0, 1, 0, 3, 12]
    >>> move_zeroes(data)
    >>> data
    [1, 3, 12, 0, 0]
    >>> data = [0]
    >>> move_zeroes(data)
    >>> data
    [0]
    """
    insert_pos = 0
    for num in nums:
        if num != 0:
            nums[insert_pos] = num
            insert_pos += 1
    while insert_pos < len(nums):
        nums[insert_pos] = 0
        insert_pos += 1


if __name__ == "__main__":
    import doctest

    doctest.testmod()
