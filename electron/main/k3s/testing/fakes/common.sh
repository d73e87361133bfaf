# Shared by the fake tools: the test's settings, the call log, colours, and the failure helpers.
# shellcheck disable=SC2034
CONFIG="@@CONFIG@@"
[ -f "$CONFIG" ] && . "$CONFIG"
B=$'\e[1m'; G=$'\e[32m'; R=$'\e[31m'; Y=$'\e[33m'; C=$'\e[36m'; N=$'\e[0m'
fake_log() {
  # Names of the OVH variables that are set, never their values.
  local set=""
  for v in OVH_ENDPOINT OVH_APPLICATION_KEY OVH_APPLICATION_SECRET OVH_CONSUMER_KEY; do [ -n "${!v:-}" ] && set="$set $v"; done
  [ -n "${FAKE_CALLS:-}" ] && printf '%s %s | env:%s | cwd %s\n' "$FAKE_TOOL" "$*" "$set" "$PWD" >> "$FAKE_CALLS"
  return 0
}
fake_error() {
  printf '%s╷%s\n%s│%s %s%sError: %s%s%s\n%s│%s\n%s│%s %s\n%s╵%s\n' "$R" "$N" "$R" "$N" "$R" "$B" "$N" "$B" "$1" "$N" "$R" "$N" "$R" "$N" "${2:-}" "$R" "$N" >&2
  exit 1
}
fake_slow() { [ -n "${FAKE_SLOW:-}" ] && sleep "$FAKE_SLOW"; return 0; }
