from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from reporting_harness import Reporting, running_reporting

from coulisse.ops.testing import DatabaseFactory


@pytest.fixture
async def reporting(make_database: DatabaseFactory) -> AsyncIterator[Reporting]:
    """The reporting API in-process on a database of its own; consumed events are handed to
    its inbox consumer directly."""
    url = await make_database("reporting")
    async with running_reporting(url) as found:
        yield found
