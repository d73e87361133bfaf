import { shQuote } from '../ssh/quote';

// The server side of one health sample: a POSIX sh script (dash, busybox ash) sent on stdin to
// `sh -s` (as root through sudo) and printing ONE JSON document whose shape `sample.ts` validates.
//
// Why on stdin every time rather than installed once under the state dir: it is still one round
// trip (a few KB on a connection that is already open), there is nothing to install, verify or
// upgrade on the server, an app update can never meet an older copy, and nothing runs as root from
// a file another process could have changed.
//
// Cost matters (the script runs every 5 s; issue #7's figure `health-sample-cost`, `npm run bench --
// health-sample-cost`): the /proc files are read by ONE awk, and the containers are read only when the
// caller asks ($5; the sampler does every 30 s and keeps the last values with their age): then Docker
// is asked twice (ps, inspect), plus one `docker exec psql` when a database is named. Container CPU and
// memory come from their cgroup files (found from the container's pid in /proc/<pid>/cgroup, cgroup v2
// or v1) read by one more awk, not from `docker stats --no-stream`, which waits for two readings (every
// sample lasted ~2 s) and cost ~25 ms of CLI CPU plus as much in the daemon. The cgroup counters are
// cumulative: CPU % comes from two samples (`withContainerCpu` in sample.ts).
// Measured on the test host (busy 2-core machine): host only ~3 ms of CPU; with the containers ~37 ms
// (each Docker CLI start ~15 ms), with the database query ~55 ms; about 0.25 % of a core at 5 s overall.
// Values from Docker are encoded by Docker's own `{{json}}`; the rare free text (an error) goes
// through kg_str. The only inputs are the positional parameters set by `sampleScriptFor`.
//
// Written as String.raw, so: no `${` and no backtick anywhere in the script.

export const SAMPLE_SCRIPT_VERSION = 2;

/**
 * $1 compose project ('' = none), $2 postgres container name or service ('' = none), $3 its user, $4 its database,
 * $5 '1' to read the containers and the database ('' = host figures only: `"docker":"not_sampled"`).
 */
export const SAMPLE_SCRIPT = String.raw`# koprogo-deploy health sample
kg_str() {
  # Free text as a JSON string: controls become spaces, quote and backslash are escaped, 300 bytes at most.
  printf '"%s"' "$(printf '%s' "$1" | tr '\n\r\t' '   ' | tr -d '\000-\037\177' | cut -c1-300 | sed 's/[\\"]/\\&/g')"
}

kg_host() {
  awk '
    function num(x) { return (x ~ /^[0-9]+(\.[0-9]+)?$/) ? x : "null" }
    FILENAME == "/proc/stat" {
      if ($1 == "cpu") { u = $2; ni = $3; sy = $4; id = $5; io = $6; hi = $7; si = $8; st = $9 }
      else if ($1 ~ /^cpu[0-9]/) ncpu++
      else if ($1 == "btime") btime = $2
      next
    }
    FILENAME == "/proc/meminfo" { mem[$1] = $2; next }
    FILENAME == "/proc/loadavg" { l1 = $1; l5 = $2; l15 = $3; next }
    FILENAME == "/proc/uptime" { up = $1; next }
    END {
      ts = (num(btime) != "null" && num(up) != "null") ? sprintf("%.0f", (btime + up) * 1000) : "null"
      printf "\"timestampMs\":%s,\"uptimeSec\":%s,\"cpus\":%s,", ts, num(up), ncpu + 0
      printf "\"cpu\":{\"user\":%s,\"nice\":%s,\"system\":%s,\"idle\":%s,\"iowait\":%s,\"irq\":%s,\"softirq\":%s,\"steal\":%s},", num(u), num(ni), num(sy), num(id), num(io), num(hi), num(si), num(st)
      printf "\"memory\":{\"totalKb\":%s,\"availableKb\":%s,\"swapTotalKb\":%s,\"swapFreeKb\":%s},", num(mem["MemTotal:"]), num(mem["MemAvailable:"]), num(mem["SwapTotal:"]), num(mem["SwapFree:"])
      printf "\"load\":{\"one\":%s,\"five\":%s,\"fifteen\":%s}", num(l1), num(l5), num(l15)
    }
  ' /proc/stat /proc/meminfo /proc/loadavg /proc/uptime
}

kg_disk() {
  if [ -d /var/lib/docker ]; then set -- / /var/lib/docker; else set -- /; fi
  df -Pk "$@" 2>/dev/null | awk '
    function esc(s) { gsub(/\\/, "\\\\", s); gsub(/"/, "\\\"", s); return s }
    function num(x) { return (x ~ /^[0-9]+$/) ? x : "null" }
    NR > 1 {
      m = $6; for (i = 7; i <= NF; i++) m = m " " $i
      n++; mount[n] = m
      row[n] = sprintf("{\"mount\":\"%s\",\"totalKb\":%s,\"usedKb\":%s,\"availableKb\":%s}", esc(m), num($2), num($3), num($4))
    }
    END {
      printf "\"disk\":%s,", (n >= 1) ? row[1] : "null"
      printf "\"dockerDisk\":%s", (n >= 2 && mount[2] != mount[1]) ? row[2] : "null"
    }
  '
}

kg_cgroups() {
  # stdin: "<id> <pid>" per running container. ONE awk reads every container's cgroup files with getline.
  # $1: the /proc root, $2: the cgroup mount root (parameters only so that a test can point them at fixtures).
  if [ -f "$2/cgroup.controllers" ]; then kg_v2=1; else kg_v2=; fi
  awk -v proc="$1" -v root="$2" -v v2="$kg_v2" '
    function first(f,   l, r) { r = ""; if ((getline l < f) > 0) r = l; close(f); return r }
    function keyed(f, key,   l, a, r) {
      r = ""
      while ((getline l < f) > 0) { split(l, a, " "); if (a[1] == key) { r = a[2]; break } }
      close(f)
      return r
    }
    function digits(x) { return (x ~ /^[0-9]+$/) ? x : "" }
    function out(x) { return (x == "") ? "null" : x }
    BEGIN {
      split(first(proc "/uptime"), u, " ")
      printf "\"statsAtSec\":%s,\"stats\":[", (u[1] ~ /^[0-9]+(\.[0-9]+)?$/) ? u[1] : "null"
    }
    $1 ~ /^[0-9a-f]+$/ && length($1) == 64 && $2 ~ /^[1-9][0-9]*$/ {
      # Lines of /proc/<pid>/cgroup: "<hierarchy>:<controllers>:<path>"; v2 has one, "0::<path>".
      unified = ""; cpu = ""; mem = ""
      f = proc "/" $2 "/cgroup"
      while ((getline l < f) > 0) {
        i = index(l, ":"); rest = substr(l, i + 1); j = index(rest, ":")
        ctl = substr(rest, 1, j - 1); p = substr(rest, j + 1)
        if (ctl == "") unified = p
        n = split(ctl, cs, ",")
        for (k = 1; k <= n; k++) { if (cs[k] == "cpuacct") cpu = p; if (cs[k] == "memory") mem = p }
      }
      close(f)
      if (v2) {
        d = root unified
        usec = digits(keyed(d "/cpu.stat", "usage_usec"))
        cur = digits(first(d "/memory.current"))
        inactive = digits(keyed(d "/memory.stat", "inactive_file"))
        limit = digits(first(d "/memory.max"))
      } else {
        # cpuacct.usage is in ns: drop three digits as text (exact, whatever the size).
        ns = digits(first(root "/cpuacct" cpu "/cpuacct.usage"))
        usec = (ns == "") ? "" : ((length(ns) > 3) ? substr(ns, 1, length(ns) - 3) : "0")
        d = root "/memory" mem
        cur = digits(first(d "/memory.usage_in_bytes"))
        inactive = digits(keyed(d "/memory.stat", "total_inactive_file"))
        limit = digits(first(d "/memory.limit_in_bytes"))
      }
      # What docker stats shows: usage without the inactive page cache. No limit ("max", or v1 2^63) is null.
      used = cur
      if (cur != "" && inactive != "" && inactive + 0 < cur + 0) used = sprintf("%.0f", cur - inactive)
      if (length(limit) >= 16) limit = ""
      printf "%s{\"id\":\"%s\",\"cpuUsec\":%s,\"memBytes\":%s,\"memLimitBytes\":%s}", sep, $1, out(usec), out(used), out(limit)
      sep = ","
    }
    END { printf "]" }
  '
}

kg_containers() {
  pg_id=
  pg_found=
  docker_ok=
  kg_none='"containers":[],"statsAtSec":null,"stats":[]'
  if [ -z "$1" ]; then printf '"docker":"skipped","dockerError":null,%s' "$kg_none"; return; fi
  if [ -z "$3" ]; then printf '"docker":"not_sampled","dockerError":null,%s' "$kg_none"; return; fi
  if ! command -v docker >/dev/null 2>&1; then printf '"docker":"missing","dockerError":null,%s' "$kg_none"; return; fi
  if ! ids=$($T docker ps -aq --no-trunc --filter "label=com.docker.compose.project=$1" 2>&1); then
    printf '"docker":"error","dockerError":%s,%s' "$(kg_str "$ids")" "$kg_none"
    return
  fi
  docker_ok=1
  kg_err=
  running=
  printf '"containers":['
  if [ -n "$ids" ]; then
    # One line per container: id, running, pid, n=<name>, s=<service, URL-escaped: never a space>, then the JSON object.
    # Field names are those of the CLI's typed struct (.ID, not .Id): when a template fails on it, the CLI
    # silently retries on the raw JSON map, where a missing .State.Health is an error.
    rows=$($T docker inspect --format '{{.ID}} {{.State.Running}} {{.State.Pid}} n={{.Name}} s={{urlquery (index .Config.Labels "com.docker.compose.service")}} {"id":{{json .ID}},"name":{{json .Name}},"service":{{json (index .Config.Labels "com.docker.compose.service")}},"image":{{json .Config.Image}},"state":{{json .State.Status}},"health":{{if .State.Health}}{{json .State.Health.Status}}{{else}}null{{end}},"restartCount":{{.RestartCount}},"exitCode":{{.State.ExitCode}},"startedAt":{{json .State.StartedAt}}}' $ids 2>&1)
    sep=
    while read -r id run pid name service json; do
      case $run in
        true | false) ;;
        # Not a row: Docker's complaint (a container removed since "ps", a template error). The first one is reported.
        *) [ -z "$kg_err" ] && kg_err="$id $run $pid $name $service $json"; continue ;;
      esac
      printf '%s%s' "$sep" "$json"
      sep=,
      if [ -n "$2" ] && { [ "$name" = "n=/$2" ] || [ "$service" = "s=$2" ]; }; then
        pg_found=1
        [ "$run" = true ] && [ -z "$pg_id" ] && pg_id=$id
      fi
      [ "$run" = true ] && running="$running$id $pid
"
    done <<KG_ROWS
$rows
KG_ROWS
  fi
  printf '],'
  printf '%s' "$running" | kg_cgroups /proc /sys/fs/cgroup
  printf ',"docker":"ok","dockerError":'
  if [ -n "$kg_err" ]; then kg_str "$kg_err"; else printf 'null'; fi
}

kg_postgres() {
  # Not named, or not asked this time ($4 empty: the caller keeps the last reading).
  if [ -z "$1" ] || [ -z "$4" ]; then printf '"postgres":null'; return; fi
  if [ -z "$docker_ok" ]; then printf '"postgres":{"status":"unavailable"}'; return; fi
  if [ -z "$pg_id" ]; then
    if [ -n "$pg_found" ]; then printf '"postgres":{"status":"not_running"}'; else printf '"postgres":{"status":"not_found"}'; fi
    return
  fi
  out=$($T docker exec "$pg_id" psql -U "$2" -d "$3" -At -c 'select pg_database_size(current_database()), (select count(*) from pg_stat_activity)' 2>&1)
  # Expected: "<size>|<connections>", two non-empty digit strings and nothing else.
  kg_ifs=$IFS
  IFS='|'
  set -f
  set -- $out
  set +f
  IFS=$kg_ifs
  kg_ok=
  if [ $# -eq 2 ] && [ -n "$1" ] && [ -n "$2" ]; then
    case $1$2 in *[!0-9]*) ;; *) kg_ok=1 ;; esac
  fi
  if [ -n "$kg_ok" ]; then
    printf '"postgres":{"status":"ok","sizeBytes":%s,"connections":%s}' "$1" "$2"
  else
    printf '"postgres":{"status":"query_failed","detail":%s}' "$(kg_str "$out")"
  fi
}

kg_cost() {
  # This shell's own CPU time and that of every child it waited for (awk, df, docker…), in clock ticks.
  # Fields after "(comm)": state is 3, utime 14, stime 15, cutime 16, cstime 17.
  read -r kg_stat </proc/$$/stat
  set -- $kg_stat
  shift 13
  printf '"cost":{"userTicks":%s,"systemTicks":%s,"childUserTicks":%s,"childSystemTicks":%s}' "$1" "$2" "$3" "$4"
}

kg_main() {
  T=
  if command -v timeout >/dev/null 2>&1; then T='timeout 10'; fi
  printf '{"v":2,' # SAMPLE_SCRIPT_VERSION
  kg_host
  printf ','
  kg_disk
  printf ','
  kg_containers "$1" "$2" "$5"
  printf ','
  kg_postgres "$2" "$3" "$4" "$5"
  printf ','
  kg_cost
  printf '}\n'
}

# Nothing may read the rest of the script from stdin: everything runs inside one function, fed /dev/null.
kg_main "$@" </dev/null
`;

export interface SampleTarget {
  /** Read the containers and the database (default true); false: host figures only, `docker: 'not_sampled'`. */
  containers?: boolean;
  /** Compose project whose containers are listed (label com.docker.compose.project). */
  project?: string;
  /** The PostgreSQL container (its name or its Compose service in the project), user and database. */
  postgres?: { container: string; user: string; database: string };
}

/** The script with its parameters: one `set --` line of shQuote'd values, then the constant script. */
export function sampleScriptFor(target: SampleTarget): string {
  const pg = target.postgres;
  const args = [target.project ?? '', pg?.container ?? '', pg?.user ?? '', pg?.database ?? '', target.containers === false ? '' : '1'];
  return `set -- ${args.map(shQuote).join(' ')}\n${SAMPLE_SCRIPT}`;
}
