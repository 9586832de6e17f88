"""
Insertion sort: builds the sorted list one element at a time by inserting
each new element into its place among the already sorted ones.

Time complexity: O(n^2) in the worst case, O(n) on sorted input.
"""


def insertion_sort(collection: list[int]) -> list[int]:
    """Pure implementation of the insertion sort algorithm in Python.

    :param collection: some mutable ordered collection of comparable items
    :return: the same collection ordered by ascending

    >>> insertion_sort([0, 5, 3, 2, 2])
    [0, 2, 2, 3, 5]
    >>> insertion_sort([]) == sorted([])
    True
    >>> insertion_sort([-2, -5, -45]) == sorted([-2, -5, -45])
    True
    """
    for insert_index in range(1, len(collection)):
        insert_value = collection[insert_index]
        while insert_index > 0 and insert_value < collection[insert_index - 1]:
            collection[insert_index] = collection[insert_index - 1]
            insert_index -= 1
        collection[insert_index] = insert_value
    return collection


if __name__ == "__main__":
    from doctest import testmod

    testmod()

    user_input = input("Enter numbers separated by a comma:\n").strip()
    unsorted = [int(item) for item in user_input.split(",")]
    print(f"{insertion_sort(unsorted) = }")
