"""Remove duplicates from a sorted list in place (two pointers)."""


def remove_duplicates(nums: list[int]) -> int:
    """
    Keep the first occurrence of every value at the front of nums and return
    how many distinct values there are.

    >>> data = [1, 1, 2]
    >>> remove_duplicates(data), data[:2]
    (2, [1, 2])
    >>> data = [0, 0, 1, 1, 1, 2, 2, 3, 3, 4]
    >>> remove_duplicates(data), data[:5]
    (5, [0, 1, 2, 3, 4])
    >>> remove_duplicates([])
    0
    """
    if not nums:
        return 0
    write = 1
    for read in range(1, len(nums)):
        if nums[read] != nums[write - 1]:
            nums[write] = nums[read]
            write += 1
    return write


if __name__ == "__main__":
    import doctest

    doctest.testmod()
