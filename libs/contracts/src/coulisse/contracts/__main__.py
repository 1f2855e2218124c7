"""`python -m coulisse.contracts export [--check]`."""

from .export import main

raise SystemExit(main())
