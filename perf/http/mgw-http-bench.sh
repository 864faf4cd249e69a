#!/usr/bin/env bash
# mgw-http-bench: requests/s and latency of mgw-controlplane's HTTP API (GET /meeting/{id},
# POST /meeting, POST /meeting/join) on SQLite and on PostgreSQL, each as a ratio to nginx serving
# a static JSON body of the same size on the same machine in the same run (the HTTP ceiling).
# GET /healthz (no authentication, no database) is measured too: mgw's own HTTP floor.
# Everything runs on loopback in a temporary directory: a real mgw-controlplane, a PostgreSQL
# server it starts itself (initdb, durable settings), nginx, and wrk with http_bench.lua.
# See perf/README.md ("mgw-http-bench") for what is measured and how durability is checked.
set -euo pipefail

usage() {
  cat <<'EOF'
usage: mgw-http-bench [options]
  --build DIR          build tree holding bin/mgw-controlplane (default: the folder this script
                       is installed in, e.g. build/perf/bin)
  --out DIR            results.json, results.csv and the logs (default: mgw-http-bench-out)
  --backend LIST       sqlite,postgresql (default: both)
  --duration S         seconds per wrk run (default 5)
  --rounds N           rounds of (nginx, route) per point; the ratio is their median (default 3)
  --connections N      wrk connections (default 16)
  --wrk-threads N      wrk threads (default 2)
  --server-threads N   controlplane.threads and nginx worker_processes (default 2)
  --accounts N         accounts the joins rotate through (default 4)
  --work-dir DIR       where the databases live (default: $TMPDIR or /tmp; put it on the disk
                       you want to measure: on tmpfs an fsync costs nothing)
  --keep               keep the temporary directory
  --quick              smoke run (about 30 s): one round of 1 s runs, 4 connections
EOF
}

die() {
  echo "mgw-http-bench: $*" >&2
  exit 1
}

script_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
lua=${MGW_HTTP_BENCH_LUA:-$script_dir/http_bench.lua}
bin_dir=""
out_dir=mgw-http-bench-out
backends=sqlite,postgresql
duration=5
rounds=3
connections=16
wrk_threads=2
server_threads=2
accounts=4
work_parent=${TMPDIR:-/tmp}
keep=0
command_line="mgw-http-bench $*"

# --quick sets defaults; options given beside it still win.
for arg in "$@"; do
  if [ "$arg" = --quick ]; then
    duration=1
    rounds=1
    connections=4
    wrk_threads=1
    accounts=2
  fi
done
while [ $# -gt 0 ]; do
  case "$1" in
    --build) bin_dir="$2/bin"; shift 2 ;;
    --out) out_dir="$2"; shift 2 ;;
    --backend) backends="$2"; shift 2 ;;
    --duration) duration="$2"; shift 2 ;;
    --rounds) rounds="$2"; shift 2 ;;
    --connections) connections="$2"; shift 2 ;;
    --wrk-threads) wrk_threads="$2"; shift 2 ;;
    --server-threads) server_threads="$2"; shift 2 ;;
    --accounts) accounts="$2"; shift 2 ;;
    --work-dir) work_parent="$2"; shift 2 ;;
    --keep) keep=1; shift ;;
    --quick) shift ;;  # handled above
    -h|--help) usage; exit 0 ;;
    *) usage >&2; die "unknown argument: $1" ;;
  esac
done
for n in "$duration" "$rounds" "$connections" "$wrk_threads" "$server_threads" "$accounts"; do
  [[ "$n" =~ ^[1-9][0-9]*$ ]] || die "expected a positive integer, got '$n'"
done
[ "$connections" -ge "$wrk_threads" ] || die "--connections must be at least --wrk-threads"
if [ -z "$bin_dir" ]; then
  [ -x "$script_dir/mgw-controlplane" ] || die "no mgw-controlplane beside this script: pass --build DIR"
  bin_dir=$script_dir
fi
[ -x "$bin_dir/mgw-controlplane" ] || die "$bin_dir/mgw-controlplane not found (build it first)"
[ -r "$lua" ] || die "$lua not found"
for tool in wrk nginx curl sqlite3; do
  command -v "$tool" >/dev/null || die "$tool not found (deploy/install-deps.sh installs it)"
done

# Hermetic: no MGW_* setting of the caller's environment reaches the control plane.
while read -r name; do
  [ "$name" = MGW_POSTGRES_BIN_DIR ] || unset "$name"
done < <(compgen -e | grep '^MGW_' || true)

mkdir -p "$out_dir"
out_dir=$(cd "$out_dir" && pwd)
mkdir -p "$work_parent"
work=$(mktemp -d "$work_parent/mgw-http-bench.XXXXXX")
chmod 755 "$work"  # nginx workers and the postgres user read below it
logs=$out_dir/logs
rm -rf "$logs"
mkdir -p "$logs"
[ "$(stat -f -c %T "$work")" != tmpfs ] ||
  echo "mgw-http-bench: warning: $work is on tmpfs: fsync is free there, writes look faster than on a disk" >&2

cp_pid=""
nginx_pid=""
pg_pid=""
pg_dir=""

stop_pid() {  # pid signal: signal it and reap it
  if [ -n "$1" ] && kill -0 "$1" 2>/dev/null; then
    kill "-$2" "$1" 2>/dev/null || true
    wait "$1" 2>/dev/null || true
  fi
}

cleanup() {
  stop_pid "$cp_pid" TERM
  stop_pid "$nginx_pid" QUIT
  stop_pid "$pg_pid" INT  # fast shutdown
  if [ "$keep" -eq 1 ]; then echo "mgw-http-bench: kept $work" >&2; else rm -rf "$work"; fi
}
trap cleanup EXIT

# poll: what deadline_s pid command...: runs command until it succeeds; fails when pid exits or
# the deadline passes. The interval is a poll, not a guess at readiness.
poll() {
  local what=$1 deadline=$((SECONDS + $2)) pid=$3
  shift 3
  until "$@" >/dev/null 2>&1; do
    kill -0 "$pid" 2>/dev/null || die "$what exited during start-up (see $logs)"
    [ "$SECONDS" -lt "$deadline" ] || die "$what not ready within the deadline (see $logs)"
    sleep 0.05
  done
}

calc() { awk "BEGIN { printf \"%.${2:-1}f\", $1 }"; }
field() { sed -n "s/.*\"$1\":\([0-9.]*\).*/\1/p" <<<"$2"; }

# --- mgw-controlplane --------------------------------------------------------------------------

base=""
cp_starts=0
readonly admin_password=http-bench-admin-password

start_controlplane() {  # backend state_dir
  local log=$logs/controlplane-$1-$((++cp_starts)).log
  # The per-caller rate limit is off: one account sends all the load, and the point is the
  # server's capacity, not the limit's 429s.
  local env=(MGW_STATE_DIR="$2" MGW_RUNTIME_DIR="$2/run" MGW_CONTROLPLANE_PORT=0
             MGW_CONTROLPLANE_THREADS="$server_threads" MGW_ADMIN_PASSWORD="$admin_password"
             MGW_CONTROLPLANE_RATE_LIMIT_REQUESTS_PER_SECOND=0)
  if [ "$1" = postgresql ]; then
    env+=(MGW_CONTROLPLANE_DATABASE_BACKEND=postgresql
          MGW_CONTROLPLANE_DATABASE_POSTGRESQL_URI="postgresql:///mgw_bench?host=$pg_dir&port=5432&user=postgres")
  fi
  env "${env[@]}" "$bin_dir/mgw-controlplane" >"$log" 2>&1 &
  cp_pid=$!
  poll "mgw-controlplane" 60 "$cp_pid" grep -q 'API on http://127.0.0.1:[0-9]*/' "$log"
  local port
  port=$(sed -n 's|.*API on http://127\.0\.0\.1:\([0-9]*\)/.*|\1|p' "$log" | head -1)
  base=http://127.0.0.1:$port
}

api() {  # method path token [body]: prints the response body; fails on anything but 2xx
  local args=(-sS --fail-with-body -X "$1" "$base$2" -H "Content-Type: application/json")
  [ -z "$3" ] || args+=(-H "Authorization: Bearer $3")
  [ -z "${4:-}" ] || args+=(--data "$4")
  curl "${args[@]}" || die "$1 $2 failed"
}

# The first string member $1 of the JSON on stdin (bodies end without a newline: one is added).
json_string() { { cat; echo; } | sed -n "s/.*\"$1\":\"\([^\"]*\)\".*/\1/p" | head -1; }

# Signs up and logs in `accounts` accounts; writes their tokens, one a line, to $work/tokens.
create_accounts() {
  : >"$work/tokens"
  local i email
  for ((i = 1; i <= accounts; i++)); do
    email=bench-$i@example.com
    api POST /account "" "{\"email\":\"$email\",\"password\":\"http-bench-password\"}" >/dev/null
    api POST /account/login "" "{\"email\":\"$email\",\"password\":\"http-bench-password\"}" |
      json_string token >>"$work/tokens"
  done
  [ "$(grep -c . "$work/tokens")" -eq "$accounts" ] || die "login returned no token"
}

sql() {  # backend statement: one value
  if [ "$1" = sqlite ]; then
    sqlite3 "$work/sqlite/mgw.db" "$2"
  else
    psql -X -q -A -t -h "$pg_dir" -p 5432 -U postgres -d mgw_bench -c "$2"
  fi
}

# --- PostgreSQL --------------------------------------------------------------------------------

postgres_bin_dir() {
  if [ -n "${MGW_POSTGRES_BIN_DIR:-}" ]; then echo "$MGW_POSTGRES_BIN_DIR"; return; fi
  ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1
}

# Durable settings, spelled out: fsync and synchronous_commit on (PostgreSQL's defaults), so a
# COMMIT returns only once its WAL is flushed, and so does the control plane's 2xx.
start_postgres() {
  local bin
  bin=$(postgres_bin_dir)
  [ -n "$bin" ] && [ -x "$bin/initdb" ] || die "PostgreSQL server binaries not found (set MGW_POSTGRES_BIN_DIR)"
  pg_dir=$work/pg
  mkdir -p "$pg_dir"
  local as_server=()
  if [ "$(id -u)" -eq 0 ]; then  # postgres refuses to run as root
    chown postgres: "$pg_dir"
    as_server=(setpriv --reuid=postgres --regid=postgres --init-groups --)
  fi
  (cd "$pg_dir" && "${as_server[@]}" "$bin/initdb" -D "$pg_dir/data" -U postgres -A trust \
     -E UTF8 --no-locale >"$logs/initdb.log" 2>&1) || die "initdb failed (see $logs/initdb.log)"
  (cd "$pg_dir" && exec "${as_server[@]}" "$bin/postgres" -D "$pg_dir/data" -k "$pg_dir" \
     -p 5432 -c listen_addresses= -c fsync=on -c synchronous_commit=on -c full_page_writes=on \
     -c max_connections=100) >"$logs/postgres.log" 2>&1 &
  pg_pid=$!
  poll postgres 60 "$pg_pid" "$bin/pg_isready" -q -h "$pg_dir" -p 5432
  psql -X -q -h "$pg_dir" -p 5432 -U postgres -d postgres -c "CREATE DATABASE mgw_bench" ||
    die "CREATE DATABASE failed"
}

# --- nginx -------------------------------------------------------------------------------------

nginx_port=""

# Serves $work/nginx/root (the GET answer, as a file) on a free loopback port: a port is picked at
# random and another is tried when nginx cannot bind it.
start_nginx() {
  local dir=$work/nginx temp_paths="" user=""
  mkdir -p "$dir/temp" "$dir/root"
  for kind in client_body proxy fastcgi uwsgi scgi; do
    local flag=${kind/client_body/client-body}
    nginx -V 2>&1 | grep -q -- "--http-$flag-temp-path" &&
      temp_paths+="  ${kind}_temp_path $dir/temp/$kind;"$'\n'
  done
  [ "$(id -u)" -ne 0 ] || user="user root root;"
  for _ in $(seq 1 20); do
    nginx_port=$((20000 + RANDOM % 40000))
    cat >"$dir/nginx.conf" <<EOF
# mgw-http-bench: a static JSON body, as many workers as the control plane has HTTP threads.
$user
worker_processes $server_threads;
daemon off;
pid $dir/nginx.pid;
error_log $logs/nginx-error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  keepalive_requests 1000000;
  open_file_cache max=16;
$temp_paths
  server {
    listen 127.0.0.1:$nginx_port;
    location / { root $dir/root; default_type application/json; }
  }
}
EOF
    : >"$logs/nginx-error.log"
    nginx -p "$dir" -c "$dir/nginx.conf" -e "$logs/nginx-error.log" >>"$logs/nginx.log" 2>&1 &
    nginx_pid=$!
    local deadline=$((SECONDS + 30))
    while kill -0 "$nginx_pid" 2>/dev/null && [ "$SECONDS" -lt "$deadline" ]; do
      # Any answer (a 404 for /) means nginx is up.
      [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$nginx_port/" 2>/dev/null)" != 000 ] &&
        return 0
      sleep 0.05
    done
    stop_pid "$nginx_pid" QUIT
    grep -q "Address already in use" "$logs/nginx-error.log" || die "nginx did not start (see $logs)"
  done
  die "nginx found no free port in 20 attempts"
}

# --- measurement -------------------------------------------------------------------------------
# The machine is shared, so each point is `rounds` rounds of (nginx, then the route), `duration` s
# each, and its ratio is the median of the rounds' ratios: nginx and the route see the same load.

points=()
baselines=()
durability=()
csv_rows=()
summary=()

run_wrk() {  # label url route args...: prints the MGW_WRK_RESULT json
  local label=$1 url=$2
  shift 2
  local log=$logs/wrk-$label.log
  wrk -t"$wrk_threads" -c"$connections" -d"${duration}s" --timeout 10s -s "$lua" "$url" -- "$@" \
    >"$log" 2>&1 || die "wrk failed (see $log)"
  local result
  result=$(sed -n 's/^MGW_WRK_RESULT //p' "$log")
  [ -n "$result" ] || die "wrk printed no result (see $log)"
  echo "$result"
}

rate() { calc "$(field requests "$1") / ($(field duration_us "$1") / 1000000)" 1; }
transport_errors() {
  echo $(($(field connect_errors "$1") + $(field read_errors "$1") + $(field write_errors "$1") +
          $(field timeouts "$1")))
}
median() {
  printf '%s\n' "$@" | sort -g |
    awk '{ v[NR] = $1 } END { printf "%g", NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

join_offset=0  # pairs the joins have used so far (rounds continue where the last one stopped)
m_requests=0
m_ok=0

# measure backend route label url mode args...: the rounds of one point, appended to points.
# Extra JSON members for the point may be given in $point_extra.
measure() {
  local backend=$1 route=$2 label=$3 url=$4
  shift 4
  local rounds_json=() rps_list=() p50_list=() p99_list=() ng_rps_list=() ng_p99_list=() ratios=()
  local non2xx=0 transport=0 requests=0 r
  for ((r = 1; r <= rounds; r++)); do
    local ng route_json args=("$@")
    ng=$(run_wrk "nginx-$backend-$label-$r" "http://127.0.0.1:$nginx_port$meeting_path" static)
    [ "$(field status_errors "$ng")" -eq 0 ] || die "nginx answered errors (see $logs)"
    [ "$1" != join ] || args+=("$join_offset")
    route_json=$(run_wrk "$backend-$label-$r" "$url" "${args[@]}")
    [ "$1" != join ] || join_offset=$((join_offset + wrk_threads * $(field requests "$route_json")))
    local rps ng_rps ratio
    rps=$(rate "$route_json")
    ng_rps=$(rate "$ng")
    ratio=$(calc "$rps / $ng_rps" 4)
    rps_list+=("$rps"); ng_rps_list+=("$ng_rps"); ratios+=("$ratio")
    p50_list+=("$(field p50_us "$route_json")"); p99_list+=("$(field p99_us "$route_json")")
    ng_p99_list+=("$(field p99_us "$ng")")
    non2xx=$((non2xx + $(field status_errors "$route_json")))
    transport=$((transport + $(transport_errors "$route_json")))
    requests=$((requests + $(field requests "$route_json")))
    rounds_json+=("{\"requests_per_s\":$rps,\"p99_us\":$(field p99_us "$route_json"),\"nginx_requests_per_s\":$ng_rps,\"nginx_p99_us\":$(field p99_us "$ng"),\"ratio\":$ratio,\"wrk\":$route_json,\"nginx_wrk\":$ng}")
  done
  m_requests=$requests
  m_ok=$((requests - non2xx))
  local rps p50 p99 ng_rps ng_p99 ratio p99_ratio lo hi
  rps=$(median "${rps_list[@]}"); p50=$(median "${p50_list[@]}"); p99=$(median "${p99_list[@]}")
  ng_rps=$(median "${ng_rps_list[@]}"); ng_p99=$(median "${ng_p99_list[@]}")
  ratio=$(calc "$(median "${ratios[@]}")" 3)
  p99_ratio=$(calc "$p99 / $ng_p99" 2)
  lo=$(printf '%s\n' "${ratios[@]}" | sort -g | head -1)
  hi=$(printf '%s\n' "${ratios[@]}" | sort -g | tail -1)
  local error=""
  [ "$non2xx" -eq 0 ] || error="$non2xx responses were not 2xx"
  [ "$requests" -gt 0 ] || error="no response"
  local IFS=,
  points+=("{\"backend\":\"$backend\",\"route\":\"$route\",\"requests_per_s\":$rps,\"p50_us\":$p50,\"p99_us\":$p99,\"requests\":$requests,\"non_2xx\":$non2xx,\"transport_errors\":$transport,\"nginx_requests_per_s\":$ng_rps,\"nginx_p99_us\":$ng_p99,\"ratio\":$ratio,\"ratio_min\":$lo,\"ratio_max\":$hi,\"p99_ratio\":$p99_ratio,\"error\":\"$error\"${point_extra:+,$point_extra},\"rounds\":[${rounds_json[*]}]}")
  baselines+=("{\"name\":\"nginx_static\",\"body_bytes\":$body_bytes,\"backend\":\"$backend\",\"route\":\"$route\",\"requests_per_s\":$ng_rps,\"p99_us\":$ng_p99}")
  unset IFS
  csv_rows+=("$backend,$route,$rps,$p50,$p99,$non2xx,$transport,$ng_rps,$ng_p99,$ratio,$lo,$hi")
  summary+=("$backend $route: $ratio of nginx's requests/s (rounds $lo to $hi), p99 $p99 us vs $ng_p99 us")
  printf '%-10s %-20s %9s req/s p99 %7s us | nginx %9s req/s p99 %7s us | ratio %s (%s-%s)%s\n' \
    "$backend" "$route" "$rps" "$p99" "$ng_rps" "$ng_p99" "$ratio" "$lo" "$hi" "${error:+  ERROR: $error}"
  point_extra=""
}
point_extra=""

meeting_path=""
body_bytes=0
nginx_started=0

run_backend() {  # backend
  local backend=$1 state=$work/$1
  mkdir -p "$state"
  [ "$backend" = sqlite ] || start_postgres
  start_controlplane "$backend" "$state"
  create_accounts
  local token
  token=$(head -1 "$work/tokens")

  # The meeting GET reads; nginx serves the same bytes (taken from the first backend).
  local location id
  location=$(curl -sS --fail-with-body -D - -o /dev/null -X POST "$base/meeting" \
    -H "Content-Type: application/json" -H "Authorization: Bearer $token" \
    --data '{"title":"http bench"}' | tr -d '\r' | sed -n 's/^[Ll]ocation: //p')
  id=${location#/meeting/}
  [ -n "$id" ] || die "POST /meeting returned no Location"
  echo "$id" >"$work/get-ids"
  local body
  body=$(api GET "/meeting/$id" "$token")
  if [ "$nginx_started" -eq 0 ]; then
    mkdir -p "$work/nginx/root/meeting"
    printf '%s' "$body" >"$work/nginx/root/meeting/$id"
    meeting_path=/meeting/$id
    body_bytes=${#body}
    start_nginx
  fi
  nginx_started=1

  # mgw's own HTTP floor: no authentication, no database; what GET /meeting/{id} adds is the rest.
  measure "$backend" "GET /healthz" healthz "$base/healthz" static
  measure "$backend" "GET /meeting/{id}" get "$base" get "$work/tokens" "$work/get-ids"

  # Durability: after the creates, kill -9 the control plane; every meeting it answered 201 for
  # must be in the database.
  local before created rows_after durable=true
  before=$(sql "$backend" "SELECT COUNT(*) FROM meetings")
  measure "$backend" "POST /meeting" create "$base" create "$work/tokens"
  created=$m_ok
  stop_pid "$cp_pid" KILL
  cp_pid=""
  rows_after=$(($(sql "$backend" "SELECT COUNT(*) FROM meetings") - before))
  [ "$rows_after" -ge "$created" ] || durable=false
  # The point was recorded before the kill: add what the kill showed.
  local last=$((${#points[@]} - 1))
  points[$last]=${points[$last]/\"error\":/\"created_2xx\":$created,\"rows_after_kill_9\":$rows_after,\"durable_after_kill_9\":$durable,\"error\":}
  [ "$durable" = true ] ||
    echo "mgw-http-bench: $backend: only $rows_after of $created created meetings survived kill -9" >&2

  start_controlplane "$backend" "$state"
  sql "$backend" "SELECT id FROM meetings" >"$work/join-ids"
  local pairs joins_before joined
  pairs=$(($(grep -c . "$work/join-ids") * accounts))
  joins_before=$(sql "$backend" "SELECT COUNT(*) FROM meeting_participants")
  join_offset=0
  measure "$backend" "POST /meeting/join" join "$base" join "$work/tokens" "$work/join-ids" \
    "$wrk_threads"
  joined=$(($(sql "$backend" "SELECT COUNT(*) FROM meeting_participants") - joins_before))
  last=$((${#points[@]} - 1))
  points[$last]=${points[$last]/\"error\":/\"pairs\":$pairs,\"participations_inserted\":$joined,\"error\":}
  [ "$joined" -ge "$m_requests" ] ||
    echo "mgw-http-bench: $backend: $joined of $m_requests joins inserted a participation (the rest joined again: $pairs meeting x account pairs)" >&2

  if [ "$backend" = sqlite ]; then
    durability+=("{\"backend\":\"sqlite\",\"journal_mode\":\"$(sql sqlite 'PRAGMA journal_mode')\",\"synchronous\":\"FULL (set per connection by mgw's SqliteDatabase)\",\"create_2xx\":$created,\"rows_after_kill_9\":$rows_after,\"durable_after_kill_9\":$durable}")
  else
    durability+=("{\"backend\":\"postgresql\",\"fsync\":\"$(sql postgresql 'SHOW fsync')\",\"synchronous_commit\":\"$(sql postgresql 'SHOW synchronous_commit')\",\"create_2xx\":$created,\"rows_after_kill_9\":$rows_after,\"durable_after_kill_9\":$durable}")
  fi
  stop_pid "$cp_pid" TERM
  cp_pid=""
  if [ "$backend" = postgresql ]; then
    stop_pid "$pg_pid" INT
    pg_pid=""
  fi
}

load_start=$(cut -d' ' -f1-3 /proc/loadavg)
echo "mgw-http-bench: $rounds rounds of ${duration} s runs per point, $connections connections, $wrk_threads wrk threads, $server_threads server threads; work dir $work"
skipped=()
IFS=, read -r -a backend_list <<<"$backends"
for backend in "${backend_list[@]}"; do
  case "$backend" in
    sqlite) run_backend sqlite ;;
    postgresql)
      bin=$(postgres_bin_dir)
      if [ -z "$bin" ] || [ ! -x "$bin/initdb" ]; then
        echo "mgw-http-bench: PostgreSQL server binaries not found (set MGW_POSTGRES_BIN_DIR): postgresql skipped"
        skipped+=("\"postgresql\"")
      else
        run_backend postgresql
      fi
      ;;
    *) die "unknown backend '$backend' (sqlite, postgresql)" ;;
  esac
done
load_end=$(cut -d' ' -f1-3 /proc/loadavg)

join_by() { local IFS=,; echo "$*"; }
cat >"$out_dir/results.json" <<EOF
{
  "command": "$command_line",
  "machine": {"cpus": $(nproc), "kernel": "$(uname -r)", "loadavg_start": "$load_start", "loadavg_end": "$load_end"},
  "settings": {"duration_s": $duration, "rounds": $rounds, "connections": $connections, "wrk_threads": $wrk_threads, "server_threads": $server_threads, "accounts": $accounts, "body_bytes": $body_bytes, "work_dir_fs": "$(stat -f -c %T "$work")"},
  "baselines": [$(join_by "${baselines[@]}")],
  "points": [$(join_by "${points[@]}")],
  "durability": [$(join_by "${durability[@]}")],
  "skipped": [$(join_by "${skipped[@]}")]
}
EOF
{
  echo "# $command_line"
  echo "# machine: $(nproc) cpus, kernel $(uname -r), load $load_start -> $load_end"
  echo "backend,route,requests_per_s,p50_us,p99_us,non_2xx,transport_errors,nginx_requests_per_s,nginx_p99_us,ratio,ratio_min,ratio_max"
  printf '%s\n' "${csv_rows[@]}"
} >"$out_dir/results.csv"
printf '%s\n' "${summary[@]}"
echo "mgw-http-bench: wrote $out_dir/results.json and results.csv (load $load_start -> $load_end)"
