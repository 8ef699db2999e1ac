#!/usr/bin/env bash
# PostgreSQL init script (docker-entrypoint-initdb.d; runs once, on an empty data volume).
# One database per service, each owned by a role of the same name that can reach only its
# own database: a service never reads another's tables.
#   TUOPIN_DATABASES        names, separated by spaces (registry loans training evaluation)
#   TUOPIN_DB_PASSWORD      the services' password (compose: from the environment or .env)
set -euo pipefail

: "${TUOPIN_DATABASES:?set TUOPIN_DATABASES}"
: "${TUOPIN_DB_PASSWORD:?set TUOPIN_DB_PASSWORD}"

for db in $TUOPIN_DATABASES; do
    psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres \
         -v db="$db" -v password="$TUOPIN_DB_PASSWORD" <<'SQL'
CREATE ROLE :"db" LOGIN PASSWORD :'password';
CREATE DATABASE :"db" OWNER :"db";
REVOKE ALL ON DATABASE :"db" FROM PUBLIC;
SQL
done
