#!/usr/bin/env bash
# A private PostgreSQL server for the journal tests (PostgresJournalTest), on a free loopback port
# and a data folder of its own under /tmp, so nothing of the machine's PostgreSQL is touched.
#
#   eval "$(bash ops/ci/postgres.sh start)"   # installs Debian's postgresql if missing, starts the
#                                             # server, prints the ABLATE_TEST_POSTGRES_* exports
#   ./mvnw -B -pl cluster -am test -Dtest=PostgresJournalTest -Dsurefire.failIfNoSpecifiedTests=false
#   bash ops/ci/postgres.sh stop              # stops it and deletes its folder ($ABLATE_TEST_POSTGRES_DIR)
#
# initdb refuses to run as root, so as root the server runs as the `postgres` user. Progress goes to
# stderr; stdout carries only the export lines.
set -euo pipefail

die() { echo "postgres.sh: $*" >&2; exit 1; }

pg_bin() {
  local bin
  bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
  [[ -n $bin && -x $bin/initdb ]] && echo "$bin"
}

as_server_user() {
  if [[ $(id -u) == 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi
}

install_if_missing() {
  pg_bin >/dev/null && return 0
  local sudo=""
  [[ $(id -u) == 0 ]] || sudo="sudo"
  echo "postgres.sh: installing Debian's postgresql (apt-get)..." >&2
  { $sudo apt-get update -q && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends postgresql; } \
    >/tmp/ablate-ci-apt-postgresql.log 2>&1 || die "apt-get install postgresql failed, see /tmp/ablate-ci-apt-postgresql.log"
  pg_bin >/dev/null || die "postgresql installed but no /usr/lib/postgresql/*/bin/initdb"
}

free_port() {
  local port
  for _ in $(seq 1 50); do
    port=$((20000 + RANDOM % 40000))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then echo "$port"; return 0; fi
  done
  die "no free loopback port found"
}

start() {
  install_if_missing
  local bin dir port password started
  bin=$(pg_bin)
  dir=$(mktemp -d /tmp/ablate-pg.XXXXXX)
  chmod 755 "$dir"
  [[ $(id -u) == 0 ]] && chown postgres: "$dir"
  port=$(free_port)
  password=$(head -c 18 /dev/urandom | od -An -tx1 | tr -d ' \n')
  started=$(date +%s%N)
  # The superuser connects over the private socket only (trust); TCP needs a password (scram).
  as_server_user "$bin/initdb" -D "$dir/data" -U postgres --auth-local=trust --auth-host=scram-sha-256 \
    --no-sync -E UTF8 >"$dir/initdb.log" 2>&1 || die "initdb failed: $(tail -5 "$dir/initdb.log")"
  as_server_user "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 30 \
    -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=40" start >/dev/null \
    || die "pg_ctl start failed: $(tail -5 "$dir/server.log")"
  as_server_user "$bin/psql" -q -h "$dir" -p "$port" -U postgres -d postgres -v ON_ERROR_STOP=1 \
    -c "CREATE ROLE ablate LOGIN PASSWORD '$password'" -c "CREATE DATABASE ablate_test OWNER ablate" >&2 \
    || die "could not create the test database"
  echo "postgres.sh: PostgreSQL $("$bin/postgres" --version | awk '{print $3}') on 127.0.0.1:$port, data in $dir," \
    "ready in $(( ($(date +%s%N) - started) / 1000000 )) ms" >&2
  echo "export ABLATE_TEST_POSTGRES_DIR=$dir"
  echo "export ABLATE_TEST_POSTGRES_URL=jdbc:postgresql://127.0.0.1:$port/ablate_test"
  echo "export ABLATE_TEST_POSTGRES_USER=ablate"
  echo "export ABLATE_TEST_POSTGRES_PASSWORD=$password"
}

stop() {
  local dir=${ABLATE_TEST_POSTGRES_DIR:-}
  [[ -n $dir && -d $dir/data ]] || { echo "postgres.sh: nothing to stop (ABLATE_TEST_POSTGRES_DIR unset or gone)" >&2; return 0; }
  as_server_user "$(pg_bin)/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null 2>&1 || echo "postgres.sh: pg_ctl stop failed" >&2
  rm -rf "$dir"
  echo "postgres.sh: stopped the server in $dir" >&2
}

case ${1:-} in
  start) start ;;
  stop) stop ;;
  *) die "usage: postgres.sh start|stop" ;;
esac
