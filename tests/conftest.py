"""Fixtures shared by the test packages."""

import pytest
import torch


@pytest.fixture
def one_thread():
    """One intra-op thread for the test, restored after it. Model and machine tests run thousands
    of tiny ops; on a shared 2-core machine two threads spin-wait on each other (seen: 25 s
    instead of 0.2 s for one soft sort)."""
    n = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(n)
