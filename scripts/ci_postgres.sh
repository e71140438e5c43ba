#!/usr/bin/env bash
# A throwaway PostgreSQL cluster for the library's PostgreSQL tests (tests/conftest.py's library_url
# fixture). Source it, so the URL reaches pytest:
#   . scripts/ci_postgres.sh            # initdb in a temporary folder, start, create database dawg_test
#   ... DAWG_AI_TEST_POSTGRES_URL is exported ...
#   ci_postgres_stop                    # stop the server and remove its folder (also on the shell's EXIT)
# Needs Debian's postgresql package (scripts/setup.sh installs it). Root runs the server as the
# postgres user (PostgreSQL refuses root); anyone else runs it as themselves. It listens only on a
# Unix socket in its folder, trusts local connections and does not fsync: test data, nothing else.

_ci_pg_bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
if [ -z "$_ci_pg_bin" ]; then
  echo "ci_postgres.sh: PostgreSQL is not installed (apt-get install postgresql)" >&2
  return 1 2>/dev/null || exit 1
fi
CI_PG_DIR=$(mktemp -d /tmp/dawg-pg.XXXXXX)
_ci_pg_as=()
if [ "$(id -u)" -eq 0 ]; then
  chown postgres: "$CI_PG_DIR"
  _ci_pg_as=(runuser -u postgres --)
fi
_ci_pg_user=$("${_ci_pg_as[@]}" id -un)

"${_ci_pg_as[@]}" "$_ci_pg_bin/initdb" -D "$CI_PG_DIR/data" -U "$_ci_pg_user" -A trust -E UTF8 --locale=C.UTF-8 \
  --no-sync >"$CI_PG_DIR/initdb.log" 2>&1 || { cat "$CI_PG_DIR/initdb.log" >&2; return 1 2>/dev/null || exit 1; }
# listen_addresses='': no TCP port to collide with; fsync off: nothing here outlives the run.
"${_ci_pg_as[@]}" "$_ci_pg_bin/pg_ctl" -D "$CI_PG_DIR/data" -l "$CI_PG_DIR/server.log" -w -t 30 \
  -o "-c listen_addresses='' -k $CI_PG_DIR -c fsync=off -c synchronous_commit=off -c full_page_writes=off" \
  start >/dev/null || { cat "$CI_PG_DIR/server.log" >&2; return 1 2>/dev/null || exit 1; }
"${_ci_pg_as[@]}" "$_ci_pg_bin/createdb" -h "$CI_PG_DIR" -U "$_ci_pg_user" dawg_test

export DAWG_AI_TEST_POSTGRES_URL="postgresql+psycopg://$_ci_pg_user@/dawg_test?host=$CI_PG_DIR"
export CI_PG_DIR

ci_postgres_stop() {
  [ -n "${CI_PG_DIR:-}" ] && [ -d "$CI_PG_DIR" ] || return 0
  "${_ci_pg_as[@]}" "$_ci_pg_bin/pg_ctl" -D "$CI_PG_DIR/data" -m fast -w stop >/dev/null 2>&1 || true
  rm -rf "$CI_PG_DIR"
  unset CI_PG_DIR DAWG_AI_TEST_POSTGRES_URL
}
trap ci_postgres_stop EXIT
