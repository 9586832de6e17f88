"""
Product of array except self: out[i] is the product of every element except
nums[i], without division (prefix products from the left, then the right).
"""


def product_except_self(nums: list[int]) -> list[int]:
    """
    >>> product_except_self([1, 2, 3, 4])
    [24, 12, 8, 6]
    >>> product_except_self([-1, 1, 0, -3, 3])
    [0, 0, 9, 0, 0]
    >>> product_except_self([5])
    [1]
    """
    n = len(nums)
    answer = [1] * n
    prefix = 1
    for i in range(n):
        answer[i] = prefix
        prefix *= nums[i]
    suffix = 1
    for i in range(n - 1, -1, -1):
        answer[i] *= suffix
        suffix *= nums[i]
    return answer


if __name__ == "__main__":
    import doctest

    doctest.testmod()
