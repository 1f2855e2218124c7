from coulisse.collections.adapters.tables import metadata
from coulisse.platform.migrations import run_migrations

run_migrations(metadata)
