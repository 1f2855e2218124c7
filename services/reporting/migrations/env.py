from coulisse.platform.migrations import run_migrations
from coulisse.reporting.adapters.tables import metadata

run_migrations(metadata)
