"""`python -m coulisse.ops.pidexec PID_FILE PROGRAM [ARG...]`: write this process's pid to PID_FILE,
then become PROGRAM (exec keeps the pid).

supervisord starts the broker through it, so that the broker has a pid file at every (re)start:
`coulisse down` still finds it by that file when supervisord itself is gone.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from coulisse.ops.procs import write_pid


def main(argv: list[str]) -> None:
    if len(argv) < 2:
        raise SystemExit("usage: python -m coulisse.ops.pidexec PID_FILE PROGRAM [ARG...]")
    write_pid(Path(argv[0]), os.getpid())
    os.execv(argv[1], argv[1:])


if __name__ == "__main__":
    main(sys.argv[1:])
