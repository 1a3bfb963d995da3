"""Container health check: GET a path on this container's service, exit 0 only on HTTP 200.

Usage: python deploy/healthcheck.py [/healthz | /readyz]. The port is the one `<PREFIX>PORT`
variable the container is configured with (WARD_PORT, INGEST_PORT or EQUITY_PORT).
Standard library only: the slim image has no curl.
"""

from __future__ import annotations

import os
import sys
import urllib.error
import urllib.request
from collections.abc import Mapping, Sequence

PORT_VARIABLES = ("WARD_PORT", "INGEST_PORT", "EQUITY_PORT")
TIMEOUT_SECONDS = 4.0


def service_port(environ: Mapping[str, str]) -> int:
    """The port of the one service this container runs; an error unless exactly one is set."""
    ports = {environ[name].strip() for name in PORT_VARIABLES if environ.get(name, "").strip()}
    if len(ports) != 1:
        raise ValueError(f"set exactly one of {', '.join(PORT_VARIABLES)}")
    return int(ports.pop())


def main(argv: Sequence[str]) -> int:
    path = argv[1] if len(argv) > 1 else "/healthz"
    try:
        url = f"http://127.0.0.1:{service_port(os.environ)}{path}"
    except ValueError as exc:
        print(f"healthcheck: {exc}", file=sys.stderr)
        return 1
    try:
        with urllib.request.urlopen(url, timeout=TIMEOUT_SECONDS) as response:
            return 0 if response.status == 200 else 1
    except (urllib.error.URLError, OSError) as exc:  # HTTPError (503), refused, timeout
        print(f"healthcheck: {url}: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
