#!/usr/bin/env bash
# pgfo rejoin: brings a fenced or diverged PostgreSQL node back as a standby of the current writer.
# It runs on the node's own host: on AWS through SSM Run Command (the document is generated from this
# file by shared/infra/rejoin-document.ts), on the local stack by local/run-command.ts. Every input
# comes from the environment (the document's parameters); no password is ever passed: libpq reads it
# from the postgres OS user's password file (~/.pgpass, or PGFO_PASSFILE).
#
# What it does: find where the node's timeline forked from the writer's (TIMELINE_HISTORY over a
# replication connection), measure the WAL the node wrote after that point (bytes and commits, with
# pg_waldump: data that existed only there and is discarded now), then — unless PGFO_DRY_RUN=1 —
# stop the node, CHECKPOINT the writer, pg_rewind it (or take a fresh base backup when rewind cannot
# work), keep the node's own configuration files, make it a standby of the writer, start it and wait
# until it streams. The last line on standard output is `PGFO-RESULT {json}`.
#
# Environment (required unless a default is given):
#   PGFO_DATA_DIR, PGFO_PG_BIN (folder with pg_ctl, pg_rewind, pg_basebackup, pg_waldump, psql),
#   PGFO_SOURCE_HOST, PGFO_SOURCE_PORT (the current writer), PGFO_DATABASE, PGFO_REPLICATION_USER,
#   PGFO_APPLICATION_NAME (the node's name: how the writer's pg_stat_replication names it),
#   PGFO_NODE_CONN (libpq connection string to this node as a local superuser; default "dbname=postgres"),
#   PGFO_SERVICE (systemd unit of PostgreSQL; empty: pg_ctl with PGFO_LOG_FILE),
#   PGFO_MODE (auto | rewind | basebackup; default auto), PGFO_DRY_RUN (0 | 1; default 0),
#   PGFO_PASSFILE (optional libpq password file), PGFO_WAIT_SECONDS (default 60).
set -euo pipefail

say() { printf 'pgfo-rejoin: %s\n' "$*" >&2; }
fail() {
  say "$1"
  printf 'PGFO-RESULT %s\n' "$(json_object outcome "\"failed\"" reason "$(json_string "$1")")"
  exit 1
}
json_string() { printf '"%s"' "$(printf '%s' "$1" | sed -e 's/\\/\\\\/g' -e 's/"/\\"/g' | tr '\n\t' '  ')"; }
json_object() {
  local out='{' sep=''
  while [ "$#" -ge 2 ]; do out="$out$sep\"$1\":$2"; sep=','; shift 2; done
  printf '%s}' "$out"
}
need() { [ -n "${!1:-}" ] || fail "missing parameter $1"; }
for v in PGFO_DATA_DIR PGFO_PG_BIN PGFO_SOURCE_HOST PGFO_SOURCE_PORT PGFO_DATABASE PGFO_REPLICATION_USER PGFO_APPLICATION_NAME; do need "$v"; done
data=$PGFO_DATA_DIR
bin=$PGFO_PG_BIN
mode=${PGFO_MODE:-auto}
dry_run=${PGFO_DRY_RUN:-0}
wait_seconds=${PGFO_WAIT_SECONDS:-60}
node_conn=${PGFO_NODE_CONN:-dbname=postgres}
case "$mode" in auto | rewind | basebackup) ;; *) fail "PGFO_MODE must be auto, rewind or basebackup (got $mode)" ;; esac
[ -d "$data" ] || fail "PGFO_DATA_DIR $data is not a directory"
[ -f "$data/PG_VERSION" ] || fail "PGFO_DATA_DIR $data is not a PostgreSQL data directory"

# PostgreSQL refuses to run as root: on AWS Run Command runs as root, locally the harness may too.
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
passfile=${PGFO_PASSFILE:+ passfile=$PGFO_PASSFILE}
source_conn="host=$PGFO_SOURCE_HOST port=$PGFO_SOURCE_PORT user=$PGFO_REPLICATION_USER dbname=$PGFO_DATABASE application_name=pgfo-rejoin connect_timeout=10$passfile"
psql_at() { as_pg "$bin/psql" -X -A -t -q -v ON_ERROR_STOP=1 -d "$1" -c "$2"; }
hex_to_dec() { printf '%d' "0x$1"; }
lsn_to_int() { local hi=${1%/*} lo=${1#*/}; echo $(( $(hex_to_dec "$hi") * 4294967296 + $(hex_to_dec "$lo") )); }
controldata() { as_pg "$bin/pg_controldata" -D "$data" | sed -n "s/^$1: *//p"; }
running() { as_pg "$bin/pg_ctl" -D "$data" status >/dev/null 2>&1; }

# 1. Where the writer's history forked from this node's timeline.
identify=$(psql_at "$source_conn replication=database" "IDENTIFY_SYSTEM") || fail "cannot reach the writer $PGFO_SOURCE_HOST:$PGFO_SOURCE_PORT as $PGFO_REPLICATION_USER for replication"
source_sysid=$(cut -d'|' -f1 <<<"$identify")
source_tli=$(cut -d'|' -f2 <<<"$identify")
node_sysid=$(controldata "Database system identifier")
[ "$source_sysid" = "$node_sysid" ] || fail "the writer belongs to another cluster (system identifier $source_sysid, this node $node_sysid)"
node_tli=$(controldata "Latest checkpoint's TimeLineID")
fork_lsn=''
if [ "$node_tli" != "$source_tli" ]; then
  history=$(psql_at "$source_conn replication=database" "TIMELINE_HISTORY $source_tli" 2>/dev/null || true)
  # History lines: parent timeline, the position where it ended, a reason.
  fork_lsn=$(printf '%s\n' "$history" | sed 's/^[^|]*|//' | awk -F'\t' -v t="$node_tli" '$1 == t { print $2; exit }')
fi

# 2. The WAL this node wrote after the fork: records on its own timeline past that point.
discarded_bytes=0
discarded_commits=0
if [ -n "$fork_lsn" ]; then
  dump=$(as_pg "$bin/pg_waldump" -p "$data/pg_wal" -t "$node_tli" -s "$fork_lsn" 2>/dev/null || true)
  last=$(printf '%s\n' "$dump" | grep -E 'lsn: [0-9A-F]+/[0-9A-F]+' | tail -n 1 || true)
  if [ -n "$last" ]; then
    last_lsn=$(sed -E 's/.*lsn: ([0-9A-F]+\/[0-9A-F]+).*/\1/' <<<"$last")
    last_len=$(sed -E 's/.*len \(rec\/tot\): *[0-9]+\/ *([0-9]+).*/\1/' <<<"$last")
    discarded_bytes=$(( $(lsn_to_int "$last_lsn") + last_len - $(lsn_to_int "$fork_lsn") ))
    discarded_commits=$(printf '%s\n' "$dump" | grep -c 'desc: COMMIT' || true)
  fi
fi
if [ "$node_tli" = "$source_tli" ]; then
  say "this node is on the writer's timeline $source_tli: nothing to discard"
elif [ -n "$fork_lsn" ]; then
  say "timeline $node_tli forked from the writer's history at $fork_lsn; $discarded_bytes bytes of WAL ($discarded_commits commits) written here after it are discarded"
else
  say "timeline $node_tli is not in the writer's history (timeline $source_tli): only a base backup can rejoin it"
fi
method=$mode
if [ "$mode" = auto ]; then
  if [ "$node_tli" = "$source_tli" ] || [ -n "$fork_lsn" ]; then method=rewind; else method=basebackup; fi
fi
summary() {
  json_object outcome "$(json_string "$1")" method "$(json_string "$method")" writerTimeline "$source_tli" nodeTimeline "$node_tli" \
    forkLsn "$(if [ -n "$fork_lsn" ]; then json_string "$fork_lsn"; else echo null; fi)" \
    discardedBytes "$discarded_bytes" discardedCommits "$discarded_commits" "${@:2}"
}
if [ "$dry_run" = 1 ]; then
  printf 'PGFO-RESULT %s\n' "$(summary dry-run)"
  exit 0
fi

# 3. Stop the node (cleanly: pg_rewind needs a cleanly shut down target).
stop_node() {
  if [ -n "${PGFO_SERVICE:-}" ]; then systemctl stop "$PGFO_SERVICE"; elif running; then as_pg "$bin/pg_ctl" -D "$data" -m "${1:-fast}" -w -t 60 stop >/dev/null; fi
}
log_file=${PGFO_LOG_FILE:-}
[ -n "${PGFO_SERVICE:-}" ] || log_file=${log_file:-$data/pgfo-rejoin.log}
# A standby opens for connections only once consistent, which may need WAL the writer no longer has:
# pg_ctl does not wait here; wait_streaming does, and reads why it cannot.
start_node() {
  log_from=0
  [ -z "$log_file" ] || [ ! -f "$log_file" ] || log_from=$(wc -c <"$log_file")
  if [ -n "${PGFO_SERVICE:-}" ]; then systemctl start "$PGFO_SERVICE"; else as_pg "$bin/pg_ctl" -D "$data" -l "$log_file" -W start >/dev/null; fi
}
say "stopping the node"
stop_node || fail "could not stop PostgreSQL in $data"

# The node's own configuration survives: pg_rewind and pg_basebackup copy the writer's files
# (its port, its synchronous_standby_names, its slot name).
keep=$(mktemp -d)
chmod 0755 "$keep"
trap 'rm -rf "$keep"' EXIT
for f in postgresql.conf postgresql.auto.conf pg_hba.conf pg_ident.conf; do [ -f "$data/$f" ] && cp -p "$data/$f" "$keep/$f"; done

rewind() {
  say "CHECKPOINT on the writer, then pg_rewind"
  psql_at "$source_conn" "CHECKPOINT" >/dev/null || return 1
  as_pg "$bin/pg_rewind" --target-pgdata="$data" --source-server="$source_conn" >&2
}
base_backup() {
  local fresh="$data.pgfo-new" old="$data.pgfo-old"
  say "taking a fresh base backup from the writer"
  rm -rf "$fresh" "$old"
  as_pg mkdir -m 0700 "$fresh"
  as_pg "$bin/pg_basebackup" -d "$source_conn" -D "$fresh" -X stream -c fast --no-sync >&2 || {
    rm -rf "$fresh"
    return 1
  }
  mv "$data" "$old" && mv "$fresh" "$data" && rm -rf "$old"
}
if [ "$method" = rewind ]; then
  if ! rewind; then
    [ "$mode" = auto ] || fail "pg_rewind failed (see the lines above); the node is stopped"
    say "pg_rewind failed: falling back to a base backup"
    method=basebackup
  fi
fi
if [ "$method" = basebackup ]; then base_backup || fail "pg_basebackup failed; the node is stopped and unchanged"; fi

# Its own configuration files back, then a standby of the writer.
make_standby() {
  for f in postgresql.conf postgresql.auto.conf pg_hba.conf pg_ident.conf; do [ -f "$keep/$f" ] && cp -p "$keep/$f" "$data/$f"; done
  local auto="$data/postgresql.auto.conf"
  grep -Ev '^[[:space:]]*(primary_conninfo|primary_slot_name|synchronous_standby_names|default_transaction_read_only)[[:space:]]*=' "$auto" >"$keep/auto.new" || true
  local conninfo="host=$PGFO_SOURCE_HOST port=$PGFO_SOURCE_PORT user=$PGFO_REPLICATION_USER application_name=$PGFO_APPLICATION_NAME$passfile"
  printf "primary_conninfo = '%s'\n" "$(sed "s/'/''/g" <<<"$conninfo")" >>"$keep/auto.new"
  # A standby names no synchronous standby: a value left from its time as a writer (or set in
  # postgresql.conf) would name nodes that follow another writer, and hang its commits if promoted
  # before the promotion sets its own.
  printf "synchronous_standby_names = ''\n" >>"$keep/auto.new"
  cat "$keep/auto.new" >"$auto"
  as_pg touch "$data/standby.signal"
  rm -f "$data/recovery.signal"
}
# 0: streaming; 1: not within PGFO_WAIT_SECONDS; 2: the writer no longer has WAL the node needs
# (seen in the server log, when the script knows where it is).
wait_streaming() {
  local deadline=$((SECONDS + wait_seconds))
  while :; do
    receiver=$(psql_at "$node_conn" "SELECT status || '|' || received_tli FROM pg_stat_wal_receiver" 2>/dev/null || true)
    if [ "${receiver%%|*}" = streaming ]; then return 0; fi
    if [ -n "$log_file" ] && [ -f "$log_file" ] && tail -c +"$((log_from + 1))" "$log_file" | grep -q 'requested WAL segment .* has already been removed'; then return 2; fi
    [ "$SECONDS" -lt "$deadline" ] || return 1
    sleep 1
  done
}
make_standby
say "starting the node as a standby of $PGFO_SOURCE_HOST:$PGFO_SOURCE_PORT"
start_node || fail "PostgreSQL did not start after the $method"
fallback=''
status=0
wait_streaming || status=$?
if [ "$status" != 0 ] && [ "$method" = rewind ] && [ "$mode" = auto ]; then
  # The rewound node replays the writer's WAL from the fork on; a writer that has recycled it (no
  # slot held it, wal_keep_size too small for what was written since) cannot serve it.
  if [ "$status" = 2 ]; then fallback="the writer no longer has the WAL since the fork"; else fallback="the node did not stream within ${wait_seconds} s of the rewind"; fi
  say "$fallback: falling back to a base backup"
  stop_node immediate || fail "could not stop PostgreSQL in $data after the rewind"
  method=basebackup
  base_backup || fail "pg_basebackup failed after the rewind; the node is stopped"
  make_standby
  start_node || fail "PostgreSQL did not start after the $method"
  status=0
  wait_streaming || status=$?
fi
case "$status" in
  0) ;;
  2) fail "the node started but the writer no longer has the WAL it needs (requested WAL segment removed): rejoin with mode basebackup" ;;
  *) fail "the node started but does not stream from the writer after ${wait_seconds} s (receiver: ${receiver:-none})" ;;
esac
say "streaming from the writer on timeline ${receiver#*|}"
printf 'PGFO-RESULT %s\n' "$(summary rejoined streamingTimeline "${receiver#*|}" fallback "$(if [ -n "$fallback" ]; then json_string "$fallback"; else echo null; fi)")"
