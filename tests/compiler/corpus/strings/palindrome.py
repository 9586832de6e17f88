"""
Palindromes over sequences of character codes: the sequence reads the same
forwards and backwards.
"""


def is_palindrome(s: list[int]) -> bool:
    """
    Return True if s is a palindrome otherwise return False.

    >>> is_palindrome([114, 97, 99, 101, 99, 97, 114])
    True
    >>> is_palindrome([1, 2])
    False
    >>> is_palindrome([])
    True
    """

    start_i = 0
    end_i = len(s) - 1
    while start_i < end_i:
        if s[start_i] == s[end_i]:
            start_i += 1
            end_i -= 1
        else:
            return False
    return True


def is_palindrome_recursive(s: list[int]) -> bool:
    """
    Return True if s is a palindrome otherwise return False.

    >>> is_palindrome_recursive([1, 2, 1])
    True
    >>> is_palindrome_recursive([1, 2, 2, 3])
    False
    """
    if len(s) <= 1:
        return True
    if s[0] == s[len(s) - 1]:
        return is_palindrome_recursive(s[1:-1])
    else:
        return False


def is_palindrome_slice(s: list[int]) -> bool:
    """
    Return True if s is a palindrome otherwise return False.

    >>> is_palindrome_slice([3, 4, 3])
    True
    >>> is_palindrome_slice([3, 4])
    False
    """
    return s == s[::-1]


if __name__ == "__main__":
    import doctest

    doctest.testmod()
