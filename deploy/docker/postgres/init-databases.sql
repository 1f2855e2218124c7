-- One database and one role per Coulisse service (docker-compose only).
-- Run once by the postgres image, from /docker-entrypoint-initdb.d, when its data volume is empty.
-- The passwords are for a local machine only; on Kubernetes the databases and roles are created
-- by whoever runs PostgreSQL, and the URLs live in a Secret (see docs/deployment.md).
-- Each database is closed to PUBLIC: no service can read another service's tables.

CREATE ROLE coulisse_customer LOGIN PASSWORD 'coulisse-local';
CREATE DATABASE coulisse_customer OWNER coulisse_customer;
REVOKE ALL ON DATABASE coulisse_customer FROM PUBLIC;

CREATE ROLE coulisse_billing LOGIN PASSWORD 'coulisse-local';
CREATE DATABASE coulisse_billing OWNER coulisse_billing;
REVOKE ALL ON DATABASE coulisse_billing FROM PUBLIC;

CREATE ROLE coulisse_collections LOGIN PASSWORD 'coulisse-local';
CREATE DATABASE coulisse_collections OWNER coulisse_collections;
REVOKE ALL ON DATABASE coulisse_collections FROM PUBLIC;

CREATE ROLE coulisse_accounting_gateway LOGIN PASSWORD 'coulisse-local';
CREATE DATABASE coulisse_accounting_gateway OWNER coulisse_accounting_gateway;
REVOKE ALL ON DATABASE coulisse_accounting_gateway FROM PUBLIC;

CREATE ROLE coulisse_reporting LOGIN PASSWORD 'coulisse-local';
CREATE DATABASE coulisse_reporting OWNER coulisse_reporting;
REVOKE ALL ON DATABASE coulisse_reporting FROM PUBLIC;
