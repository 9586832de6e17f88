"""
Jump search: on a sorted list, jump ahead by sqrt(n) elements until the block
that may hold the target is found, then search that block linearly.

https://en.wikipedia.org/wiki/Jump_search
"""

import math


def jump_search(arr: list[int], item: int) -> int:
    """
    Python implementation of the jump search algorithm.
    Return the index if the `item` is found, otherwise return -1.

    Examples:
    >>> jump_search([0, 1, 2, 3, 4, 5], 3)
    3
    >>> jump_search([-5, -2, -1], -1)
    2
    >>> jump_search([0, 5, 10, 20], 8)
    -1
    >>> jump_search([0, 1, 1, 2, 3, 5, 8, 13, 21, 34, 55, 89, 144, 233, 377, 610], 55)
    10
    """

    arr_size = len(arr)
    if arr_size == 0:
        return -1
    block_size = int(math.sqrt(arr_size))

    prev = 0
    step = block_size
    while arr[min(step, arr_size) - 1] < item:
        prev = step
        step += block_size
        if prev >= arr_size:
            return -1

    while arr[prev] < item:
        prev += 1
        if prev == min(step, arr_size):
            return -1
    if arr[prev] == item:
        return prev
    return -1


if __name__ == "__main__":
    user_input = input("Enter numbers separated by a comma:\n").strip()
    array = [int(i) for i in user_input.split(",")]
    search_item = int(input("Enter the number to be searched:\n"))
    res = jump_search(array, search_item)
    if res == -1:
        print("Number not found!")
    else:
        print(f"Number {search_item} is at index {res}")
