#!/usr/bin/env python3
"""Container health probe: GET http://127.0.0.1:$HTTP_PORT<path> (default /readyz).

Exits 0 on a 2xx answer, 1 otherwise (503 "not ready", refused connection, timeout). The image
has no curl; this uses the standard library only.
"""

import os
import sys
import urllib.error
import urllib.request


def main() -> int:
    path = sys.argv[1] if len(sys.argv) > 1 else "/readyz"
    port = os.environ.get("HTTP_PORT", "8000")
    url = f"http://127.0.0.1:{port}{path}"
    try:
        with urllib.request.urlopen(url, timeout=8) as response:
            return 0 if 200 <= response.status < 300 else 1
    except (urllib.error.URLError, OSError) as exc:
        print(f"{url}: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
