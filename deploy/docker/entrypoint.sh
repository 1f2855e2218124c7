#!/bin/sh
# Entrypoint of the Coulisse image.
#   with a command:    run it (e.g. `python -m coulisse.billing migrate`, `coulisse topics ...`);
#   without a command: serve the service named by COULISSE_SERVICE (customer, billing,
#                      collections, accounting-gateway, reporting).
set -eu

if [ "$#" -gt 0 ]; then
    exec "$@"
fi

if [ -z "${COULISSE_SERVICE:-}" ]; then
    echo "coulisse: set COULISSE_SERVICE (customer, billing, collections, accounting-gateway," \
        "reporting) or pass a command" >&2
    exit 64
fi

module="coulisse.$(printf '%s' "$COULISSE_SERVICE" | tr '-' '_')"
exec python -m "$module" serve
