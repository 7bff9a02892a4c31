#!/usr/bin/env bash
# pgfo host guard: runs on each database host right before PostgreSQL starts (see
# pgfo-guard.conf, a systemd drop-in for the PostgreSQL unit). A node whose EC2 instance the control
# plane fenced carries the instance tag `pgfo:fenced`; such a node must never come back as a second
# writer on its old timeline. The guard reads the instance's own tags through the instance metadata
# service (IMDSv2; the instance needs "instance metadata tags" enabled) and, when the node is fenced
# or the tags cannot be read, makes PostgreSQL start in recovery (standby.signal): read-only,
# visible to `pgfo status`, and ready for `pgfo rejoin`.
#
# The writer role is granted positively: a data directory that would start as a writer (no
# standby.signal) starts so only when the writer-lease agent's check (`pgfo-agent check`) says the
# cluster record names this node as the writer and its lease was not revoked. A record that names
# another node, or a store that cannot be read, makes it start in recovery.
#
# Why a standby and not "do not start at all": a node in recovery cannot commit, yet it answers
# probes (so the control plane sees that it came back) and it shuts down cleanly, which is what
# pg_rewind needs later. A node that never starts would be invisible and stay crashed.
#
# Usage: pgfo-guard DATA_DIR
# Environment:
#   PGFO_IMDS_ENDPOINT       instance metadata service (default http://169.254.169.254)
#   PGFO_FENCED_TAG          tag key that marks a fenced instance (default pgfo:fenced)
#   PGFO_GUARD_WAIT_SECONDS  how long to keep trying the metadata service (default 30)
#   PGFO_WRITER_CHECK        command that exits 0 when this node may start as the writer, 1 when not
#                            (default: node /usr/local/lib/pgfo/pgfo-agent.cjs check, configured by
#                            the agent's environment file)
#   PGFO_GUARD_ALLOW_UNVERIFIED=1  start unchanged when the tags or the record cannot be read (off: fail closed)
# Exit status: 0 PostgreSQL may start (unchanged, or as a standby); 2 usage error; 3 the data
# directory cannot be made safe (PostgreSQL must not start).
set -euo pipefail

say() { printf 'pgfo-guard: %s\n' "$*" >&2; }

if [ "$#" -ne 1 ] || [ ! -d "$1" ]; then
  say "usage: pgfo-guard DATA_DIR (a PostgreSQL data directory)"
  exit 2
fi
data_dir=$1
imds=${PGFO_IMDS_ENDPOINT:-http://169.254.169.254}
tag=${PGFO_FENCED_TAG:-pgfo:fenced}
wait_seconds=${PGFO_GUARD_WAIT_SECONDS:-30}
body=$(mktemp)
trap 'rm -f "$body"' EXIT

# GET a metadata path with a fresh IMDSv2 token; prints the HTTP status (000: no answer).
metadata() {
  local token
  token=$(curl -sS --max-time 2 -X PUT -H 'X-aws-ec2-metadata-token-ttl-seconds: 60' "$imds/latest/api/token" 2>/dev/null) || {
    echo 000
    return
  }
  curl -sS --max-time 2 -o "$body" -w '%{http_code}' -H "X-aws-ec2-metadata-token: $token" "$imds/latest/meta-data/$1" 2>/dev/null || echo 000
}

# fenced | not-fenced | unknown:<why>
verdict() {
  local deadline=$((SECONDS + wait_seconds)) code
  while :; do
    code=$(metadata "tags/instance/$tag")
    case "$code" in
      200) echo fenced; return ;;
      404)
        # 404 for the key: either the tag is absent, or metadata tags are not enabled at all.
        code=$(metadata tags/instance)
        if [ "$code" = 200 ]; then echo not-fenced; return; fi
        if [ "$code" = 404 ]; then echo "unknown:instance metadata tags are not enabled on this instance"; return; fi
        ;;
    esac
    if [ "$SECONDS" -ge "$deadline" ]; then
      echo "unknown:the instance metadata service did not answer within ${wait_seconds} s (last status $code)"
      return
    fi
    sleep 1
  done
}

make_standby() {
  if [ -e "$data_dir/standby.signal" ] || [ -e "$data_dir/recovery.signal" ]; then
    say "$data_dir already starts in recovery; leaving it as it is"
    return
  fi
  if ! touch "$data_dir/standby.signal"; then
    say "cannot write $data_dir/standby.signal: refusing to let PostgreSQL start"
    exit 3
  fi
  say "wrote $data_dir/standby.signal: PostgreSQL starts read-only, in recovery"
}

# granted | refused:<why> | unknown:<why> — may a data directory that would start as a writer do so?
writer_grant() {
  local check=${PGFO_WRITER_CHECK:-node /usr/local/lib/pgfo/pgfo-agent.cjs check} out code
  out=$(timeout 20 $check 2>&1) && code=0 || code=$?
  out=$(printf '%s' "$out" | tail -n 1 | head -c 300)
  case "$code" in
    0) echo "granted:$out" ;;
    1) echo "refused:$out" ;;
    *) echo "unknown:the writer check did not answer (exit $code): $out" ;;
  esac
}

result=$(verdict)
if [ "$result" = not-fenced ] && [ ! -e "$data_dir/standby.signal" ] && [ ! -e "$data_dir/recovery.signal" ]; then
  grant=$(writer_grant)
  case "$grant" in
    granted:*) say "the cluster record grants this node the writer role (${grant#granted:})" ;;
    refused:*) result="refused:${grant#refused:}" ;;
    *) result="$grant" ;;
  esac
fi
case "$result" in
  not-fenced)
    say "instance is not tagged $tag: PostgreSQL starts as configured"
    ;;
  refused:*)
    say "not the writer: ${result#refused:}"
    make_standby
    say "bring it back with 'pgfo rejoin' (it becomes a standby of the current writer)"
    ;;
  fenced)
    say "instance is tagged $tag ($(head -c 200 "$body")): it was fenced by the failover control plane"
    make_standby
    say "bring it back with 'pgfo rejoin' (it becomes a standby of the current writer)"
    ;;
  unknown:*)
    say "cannot tell whether this instance was fenced or may be the writer: ${result#unknown:}"
    if [ "${PGFO_GUARD_ALLOW_UNVERIFIED:-0}" = 1 ]; then
      say "PGFO_GUARD_ALLOW_UNVERIFIED=1: PostgreSQL starts as configured"
    else
      make_standby
      say "to start it as a writer anyway, fix the metadata service or set PGFO_GUARD_ALLOW_UNVERIFIED=1 for one start"
    fi
    ;;
esac
exit 0
