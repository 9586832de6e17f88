"""A routine that is not in nclib's standard library: the number of inversions of a list (pairs
i < j with xs[i] > xs[j]), i.e. how many swaps of neighbours bubble sort would make."""


def count_inversions(xs: list[int]) -> int:
    count = 0
    for i in range(len(xs)):
        for j in range(i + 1, len(xs)):
            if xs[i] > xs[j]:
                count += 1
    return count
