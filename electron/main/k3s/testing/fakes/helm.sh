#!/usr/bin/env bash
# A stand-in for helm 3.16 in the tests.
FAKE_TOOL=helm
. "@@DIR@@/common.sh"
fake_log "$@"
case "${1:-}" in
  version)
    if [ "${2:-}" = --short ]; then echo "v3.16.3+gcfd0749"; else echo 'version.BuildInfo{Version:"v3.16.3", GitCommit:"cfd07493f46efc9debd9cc1b02a0961186df7fdf", GoVersion:"go1.22.7"}'; fi ;;
  upgrade)
    [ -n "${KUBECONFIG:-}" ] && [ -f "$KUBECONFIG" ] || { echo "Error: Kubernetes cluster unreachable: Get \"http://localhost:8080/version\": dial tcp [::1]:8080: connect: connection refused" >&2; exit 1; }
    fake_slow
    [ "${FAKE_FAIL:-}" = helm ] && { echo "Error: UPGRADE FAILED: context deadline exceeded" >&2; exit 1; }
    echo "Release \"koprogo\" does not exist. Installing it now."
    echo "NAME: koprogo"
    echo "LAST DEPLOYED: $(date -u '+%a %b %e %H:%M:%S %Y')"
    echo "NAMESPACE: koprogo"
    echo "STATUS: ${G}deployed${N}"
    echo "REVISION: 1"
    echo "TEST SUITE: None" ;;
  *) echo "Usage: helm [command]"; exit 1 ;;
esac
