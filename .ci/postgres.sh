# Sourced by .ci/run and Benchmarks/postgres.sh: starts a throw-away
# PostgreSQL in its own folder on a free loopback port, as the postgres user
# when run as root (PostgreSQL refuses to run as root), stops and removes it
# when the calling script exits, and exports its URL as HOOKTOP_TEST_POSTGRES
# (the superuser "postgres", trust authentication on 127.0.0.1 only).
pgbin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
pgdir=$(mktemp -d /tmp/hooktop-pg.XXXXXX)
pgport=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
pguser=postgres
if [ "$(id -u)" -ne 0 ]; then pguser=$(id -un); fi
chown "$pguser" "$pgdir"
as_pg() { if [ "$(id -u)" -eq 0 ]; then runuser -u "$pguser" -- "$@"; else "$@"; fi; }
as_pg "$pgbin/initdb" -D "$pgdir/data" -A trust -U postgres --no-sync >/dev/null
as_pg "$pgbin/pg_ctl" -D "$pgdir/data" -l "$pgdir/log" -w \
  -o "-p $pgport -k $pgdir -c listen_addresses=127.0.0.1 -c max_connections=300" start >/dev/null
stop_postgres() { as_pg "$pgbin/pg_ctl" -D "$pgdir/data" -m immediate stop >/dev/null 2>&1 || true; rm -rf "$pgdir"; }
export HOOKTOP_TEST_POSTGRES="postgres://postgres@127.0.0.1:$pgport/postgres"
