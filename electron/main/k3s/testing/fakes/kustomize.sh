#!/usr/bin/env bash
# A stand-in for kustomize 5.5 in the tests.
FAKE_TOOL=kustomize
. "@@DIR@@/common.sh"
fake_log "$@"
case "${1:-}" in
  version) echo "v5.5.0" ;;
  build)
    [ -f "${2:-.}/kustomization.yaml" ] || { echo "Error: unable to find one of 'kustomization.yaml', 'kustomization.yml' or 'Kustomization' in directory '${2:-.}'" >&2; exit 1; }
    printf 'apiVersion: v1\nkind: Namespace\nmetadata:\n  name: koprogo\n---\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: koprogo-backend\n  namespace: koprogo\n' ;;
  *) echo "Manages declarative configuration of Kubernetes."; exit 1 ;;
esac
