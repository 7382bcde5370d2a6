# pg.sh - a private PostgreSQL cluster in a directory of our own, on a Unix socket only.
# Sourced by deploy/up, tests/run and tests/bench. Functions:
#   pg_create DIR [--nosync]   initdb into DIR/data (owned by the server's user); --nosync
#                              also turns fsync off, for throwaway test clusters only
#   pg_start DIR               start it; socket in DIR/run, log in DIR/log
#   pg_stop DIR                stop it if running (fast shutdown)
#   pg_conninfo DIR [DB]       print the libpq conninfo for database DB (default jianfu)
#   pg_run CMD...              run a PostgreSQL client or server binary as the cluster user
# PostgreSQL refuses to run as root, so under root the cluster belongs to the 'postgres'
# user that Debian's postgresql package creates.

PG_BIN=${PG_BIN:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n1)}
if [ -z "$PG_BIN" ] || [ ! -x "$PG_BIN/initdb" ]; then
  echo "pg.sh: PostgreSQL server binaries not found under /usr/lib/postgresql; run deploy/install-deps" >&2
  return 1 2>/dev/null || exit 1
fi

if [ "$(id -u)" -eq 0 ]; then PG_USER=postgres; else PG_USER=$(id -un); fi

pg_run() {
  if [ "$(id -u)" -eq 0 ]; then
    runuser -u "$PG_USER" -- "$@"
  else
    "$@"
  fi
}

pg_create() {
  local dir=$1 nosync=${2:-}
  mkdir -p "$dir/run"
  if [ "$(id -u)" -eq 0 ]; then chown "$PG_USER" "$dir" "$dir/run"; fi
  if ! pg_run test -w "$dir"; then
    echo "pg.sh: user $PG_USER cannot write $dir; make its parent directories traversable (chmod o+x) or move the checkout" >&2
    return 1
  fi
  [ -f "$dir/data/PG_VERSION" ] && return 0
  pg_run "$PG_BIN/initdb" -D "$dir/data" -A trust -U postgres -E UTF8 --locale=C.UTF-8 \
    ${nosync:+--no-sync} >"$dir/initdb.log" 2>&1 || { cat "$dir/initdb.log" >&2; return 1; }
  {
    echo "listen_addresses = ''"
    echo "unix_socket_directories = '$dir/run'"
    echo "unix_socket_permissions = 0770"
    echo "max_connections = 200"
    echo "shared_buffers = 128MB"
    echo "timezone = 'Asia/Shanghai'"
    if [ -n "$nosync" ]; then
      echo "fsync = off"
      echo "synchronous_commit = off"
      echo "full_page_writes = off"
    fi
  } | pg_run tee -a "$dir/data/postgresql.conf" >/dev/null
}

pg_start() {
  local dir=$1
  if pg_run "$PG_BIN/pg_ctl" -D "$dir/data" status >/dev/null 2>&1; then return 0; fi
  pg_run "$PG_BIN/pg_ctl" -D "$dir/data" -l "$dir/data/server.log" -w -t 60 start >/dev/null ||
    { tail -n 20 "$dir/data/server.log" >&2; return 1; }
}

pg_stop() {
  local dir=$1
  [ -f "$dir/data/postmaster.pid" ] || return 0
  pg_run "$PG_BIN/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null 2>&1 || true
}

pg_conninfo() {
  local dir=$1 db=${2:-jianfu}
  echo "host=$dir/run dbname=$db user=postgres"
}

pg_createdb() {
  local dir=$1 db=${2:-jianfu}
  if ! pg_run "$PG_BIN/psql" -h "$dir/run" -U postgres -d postgres -Atqc \
      "SELECT 1 FROM pg_database WHERE datname = '$db'" | grep -q 1; then
    pg_run "$PG_BIN/createdb" -h "$dir/run" -U postgres "$db"
  fi
}
