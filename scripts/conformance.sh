#!/usr/bin/env bash
# WebDAV conformance: litmus (basic, copymove, props, locks, http) against the drive over the embedded
# TeraBox emulator, anonymously and with Basic authentication. Fails unless every test of every suite passes.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v litmus >/dev/null 2>&1; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq litmus >/dev/null
fi
npm run --silent build

work=$(mktemp -d)
server_pid=""
cleanup() {
  if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

# Starts the drive on a free port with the given config file; sets $url.
start_drive() {
  local name=$1 config=$2
  mkdir -p "$work/$name"
  node dist/src/cli.js serve --port 0 --data "$work/$name/data" --config "$config" >"$work/$name/server.log" 2>&1 &
  server_pid=$!
  url=""
  for _ in $(seq 1 100); do
    url=$(grep -o '"url":"http://127\.0\.0\.1:[0-9]*/"' "$work/$name/server.log" | head -1 | cut -d'"' -f4 || true)
    [ -n "$url" ] && return 0
    kill -0 "$server_pid" 2>/dev/null || break
    sleep 0.1
  done
  echo "conformance: the drive did not start:" >&2
  cat "$work/$name/server.log" >&2
  exit 1
}

stop_drive() {
  kill "$server_pid" 2>/dev/null || true
  wait "$server_pid" 2>/dev/null || true
  server_pid=""
}

# Runs litmus against $url and checks that every suite ran every test and passed all of them.
run_litmus() {
  local name=$1; shift
  echo "== litmus ($name) against $url"
  local out=$work/$name/litmus.out status=0
  (cd "$work/$name" && TESTS="basic copymove props locks http" timeout 900 litmus -k "$url" "$@") >"$out" 2>&1 || status=$?
  grep -E '^<- summary|WARNING|FAIL|SKIPPED' "$out" || true
  local suites passed
  suites=$(grep -c '^<- summary' "$out" || true)
  passed=$(grep -cE '^<- summary for .*: of ([0-9]+) tests run: \1 passed, 0 failed\. 100\.0%$' "$out" || true)
  if [ "$status" -ne 0 ] || [ "$suites" -ne 5 ] || [ "$passed" -ne 5 ] || grep -qE 'FAIL|SKIPPED' "$out"; then
    echo "conformance: litmus ($name) did not pass every test (exit $status, $passed/5 suites at 100%)" >&2
    cat "$out" >&2
    echo "-- server log (last 40 lines):" >&2
    tail -40 "$work/$name/server.log" >&2
    exit 1
  fi
}

# Anonymous: the default for a drive on loopback with no users.
echo '{}' >"$work/anonymous.json"
start_drive anonymous "$work/anonymous.json"
run_litmus anonymous
stop_drive

# Basic authentication with a user whose password has the characters naive parsers break on.
password='pa:ss+w/rd é'
hash=$(printf '%s\n' "$password" | node dist/src/cli.js hash-password)
printf '{"server":{"users":[{"name":"litmus","passwordHash":"%s"}]}}\n' "$hash" >"$work/auth.json"
start_drive auth "$work/auth.json"
status=$(curl -s -o /dev/null -w '%{http_code}' -X PROPFIND -H 'Depth: 0' "$url")
if [ "$status" != 401 ]; then echo "conformance: anonymous PROPFIND got $status, not 401, with users configured" >&2; exit 1; fi
run_litmus auth litmus "$password"
stop_drive

echo "conformance: litmus passed every test, anonymously and with Basic authentication"
