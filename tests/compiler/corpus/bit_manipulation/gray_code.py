"""
Gray code: consecutive codes differ in exactly one bit. The n-bit reflected
Gray code sequence is i ^ (i >> 1) for i in 0 .. 2**n - 1.
"""


def gray_code(bit_count: int) -> list[int]:
    """
    Takes in an integer n and returns a n-bit
    gray code sequence
    An n-bit gray code sequence is a sequence of 2^n
    integers where:

    a) Every integer is between [0,2^n -1] inclusive
    b) The sequence begins with 0
    c) An integer appears at most one times in the sequence
    d)The binary representation of every pair of integers differ
       by exactly one bit
    e) The binary representation of first and last bit also
       differ by exactly one bit

    >>> gray_code(2)
    [0, 1, 3, 2]

    >>> gray_code(1)
    [0, 1]

    >>> gray_code(3)
    [0, 1, 3, 2, 6, 7, 5, 4]

    >>> gray_code(-1)
    Traceback (most recent call last):
        ...
    ValueError: The given input must be positive
    """

    # bit count represents no. of bits in the gray code
    if bit_count < 0:
        raise ValueError("The given input must be positive")

    return [i ^ (i >> 1) for i in range(2**bit_count)]


def gray_to_binary(gray: int) -> int:
    """
    >>> [gray_to_binary(g) for g in gray_code(3)]
    [0, 1, 2, 3, 4, 5, 6, 7]
    """
    binary = gray
    shift = gray >> 1
    while shift:
        binary ^= shift
        shift >>= 1
    return binary


if __name__ == "__main__":
    import doctest

    doctest.testmod()
