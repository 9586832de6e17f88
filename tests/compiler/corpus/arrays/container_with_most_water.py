"""
Container with most water: pick two lines that, with the x-axis, hold the
most water. Two pointers moving the shorter side inward.
"""


def max_area(height: list[int]) -> int:
    """
    >>> max_area([1, 8, 6, 2, 5, 4, 8, 3, 7])
    49
    >>> max_area([1, 1])
    1
    >>> max_area([5])
    0
    """
    left, right = 0, len(height) - 1
    best = 0
    while left < right:
        width = right - left
        best = max(best, width * min(height[left], height[right]))
        if height[left] < height[right]:
            left += 1
        else:
            right -= 1
    return best


if __name__ == "__main__":
    import doctest

    doctest.testmod()
