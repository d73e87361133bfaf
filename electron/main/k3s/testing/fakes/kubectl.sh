#!/usr/bin/env bash
# A stand-in for kubectl 1.31 in the tests.
FAKE_TOOL=kubectl
. "@@DIR@@/common.sh"
fake_log "$@"
case "${1:-}" in
  version)
    printf '{\n  "clientVersion": {\n    "major": "1",\n    "minor": "31",\n    "gitVersion": "v1.31.4",\n    "gitCommit": "a78aa47129b8539636eb86a9d00e31b2720fe06b",\n    "platform": "linux/amd64"\n  },\n  "kustomizeVersion": "v5.4.2"\n}\n' ;;
  get)
    [ -n "${KUBECONFIG:-}" ] && [ -f "$KUBECONFIG" ] || { echo "E0105 09:00:00.000000 memcache.go:265] couldn't get current server API group list: connection refused" >&2; exit 1; }
    printf 'NAME               STATUS   ROLES                  AGE   VERSION\nkoprogo-cp-0       Ready    control-plane,master   2m    v1.31.4+k3s1\nkoprogo-worker-0   Ready    <none>                 1m    v1.31.4+k3s1\n' ;;
  apply)
    [ -n "${KUBECONFIG:-}" ] && [ -f "$KUBECONFIG" ] || { echo "error: error validating \"STDIN\": failed to download openapi: connection refused" >&2; exit 1; }
    kind=""
    while IFS= read -r line; do
      case "$line" in
        kind:*) kind=$(echo "${line#kind:}" | tr -d ' ' | tr 'A-Z' 'a-z') ;;
        "  name:"*) echo "$kind/$(echo "${line#*name:}" | tr -d ' ') created" ;;
      esac
    done ;;
  *) echo "kubectl controls the Kubernetes cluster manager."; exit 1 ;;
esac
