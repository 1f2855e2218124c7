"""Named crash points, armed through `COULISSE_FAILPOINTS`, for proving the delivery guarantee.

`COULISSE_FAILPOINTS=relay.after_publish` makes the process SIGKILL itself the first time it
reaches that point: the same crash as a power cut, at a chosen instant. Unset, they cost nothing.
"""

from __future__ import annotations

import os
import signal


def failpoint(name: str) -> None:
    armed = os.environ.get("COULISSE_FAILPOINTS")
    if armed and name in armed.split(","):
        os.kill(os.getpid(), signal.SIGKILL)
