#!/bin/sh
# Starts the machine's PostgreSQL (Debian cluster) for tests and prints nothing
# else than errors. Creates the role and databases the test suites use:
#   postgres://mesh:mesh@127.0.0.1:5432/mesh_test
# Usage: scripts/postgres.sh start | stop
set -e
version=${PG_VERSION:-15}
case "${1:-start}" in
  start)
    if ! pg_lsclusters -h 2>/dev/null | grep -q "^$version main"; then
      pg_createcluster "$version" main >/dev/null
    fi
    pg_ctlcluster "$version" main start 2>/dev/null || pg_ctlcluster "$version" main status >/dev/null
    for _ in $(seq 1 30); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 0.5; done
    su postgres -c "psql -q -v ON_ERROR_STOP=1" <<'SQL'
DO $$ BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'mesh') THEN
    CREATE ROLE mesh LOGIN PASSWORD 'mesh' CREATEDB;
  END IF;
END $$;
SELECT 'CREATE DATABASE mesh_test OWNER mesh' WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = 'mesh_test')\gexec
SELECT 'CREATE DATABASE mesh OWNER mesh' WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = 'mesh')\gexec
SQL
    ;;
  stop)
    pg_ctlcluster "$version" main stop
    ;;
  *)
    echo "usage: $0 start|stop" >&2
    exit 2
    ;;
esac
