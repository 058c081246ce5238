from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.distribution import Distribution, run_distribution


@pytest.fixture
def distribution(tmp_path) -> Iterator[Distribution]:
    """A fresh CNCF distribution registry on 127.0.0.1, anonymous, deletes enabled."""
    with run_distribution(tmp_path) as registry:
        yield registry
