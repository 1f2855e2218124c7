"""Root conftest: every test under libs/, services/ and tests/ gets the test infrastructure
fixtures (`kafka_bootstrap`, `postgres_admin_url`, `make_database`) from coulisse.ops.testing."""

pytest_plugins = ["coulisse.ops.testing"]
