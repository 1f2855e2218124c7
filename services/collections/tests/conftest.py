from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from collections_harness import Collections, running_collections

from coulisse.ops.testing import DatabaseFactory


@pytest.fixture
async def collections(
    make_database: DatabaseFactory, kafka_bootstrap: str
) -> AsyncIterator[Collections]:
    """The collections API in-process with its relay, on a database of its own: dunning runs
    are chronological across all customers, so each test starts its own history. Consumed events
    are handed to the inbox consumer directly."""
    url = await make_database("collections")
    async with running_collections(
        url, kafka_bootstrap=kafka_bootstrap, roles="api,relay"
    ) as found:
        yield found
