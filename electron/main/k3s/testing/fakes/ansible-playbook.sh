#!/usr/bin/env bash
# A stand-in for ansible-playbook (ansible-core 2.17) in the tests: plays, tasks, a recap, the kubeconfig the
# playbook fetches (to `-e kubeconfig_dest=…`), and a failure mode.
FAKE_TOOL=ansible-playbook
. "@@DIR@@/common.sh"
fake_log "$@"
if [ "${1:-}" = --version ]; then
  printf 'ansible-playbook [core 2.17.7]\n  config file = None\n  configured module search path = ['"'"'/root/.ansible/plugins/modules'"'"']\n  python version = 3.11.2 (main) [GCC 12.2.0] (/usr/bin/python3)\n  jinja version = 3.1.2\n  libyaml = True\n'
  exit 0
fi
inventory=""; dest=""; playbook=""
while [ $# -gt 0 ]; do
  case "$1" in
    -i) inventory="$2"; shift 2 ;;
    -e) case "$2" in kubeconfig_dest=*) dest="${2#kubeconfig_dest=}" ;; esac; shift 2 ;;
    -*) shift ;;
    *) playbook="$1"; shift ;;
  esac
done
[ -f "$inventory" ] || { echo "${R}[WARNING]: Unable to parse $inventory as an inventory source${N}"; }
[ -f "$playbook" ] || { echo "${R}ERROR! the playbook: $playbook could not be found${N}"; exit 1; }
hosts=$(grep -v '^\[' "$inventory" 2>/dev/null | grep -v '^$' || echo localhost)
echo ""
echo "PLAY [k3s] ${C}*********************************************************************${N}"
for task in "Gathering Facts" "k3s : Install K3s" "k3s : Start K3s" "fetch-kubeconfig : Fetch the kubeconfig"; do
  echo ""
  echo "TASK [$task] ${C}***************************************************${N}"
  fake_slow
  for h in $hosts; do
    if [ "${FAKE_FAIL:-}" = ansible ] && [ "$task" = "k3s : Install K3s" ]; then
      echo "${R}fatal: [$h]: UNREACHABLE! => {\"changed\": false, \"msg\": \"Failed to connect to the host via ssh: Connection timed out\", \"unreachable\": true}${N}"
      echo ""
      echo "PLAY RECAP ${C}*********************************************************************${N}"
      echo "${R}$h${N}                   : ok=1    changed=0    ${R}unreachable=1${N}    failed=0"
      exit 4
    fi
    case "$task" in "Gathering Facts") echo "${G}ok: [$h]${N}" ;; *) echo "${Y}changed: [$h]${N}" ;; esac
  done
done
if [ -n "$dest" ] && [ -n "${FAKE_KUBECONFIG:-}" ]; then
  mkdir -p "$(dirname "$dest")"
  (umask 077 && cp "$FAKE_KUBECONFIG" "$dest")
fi
echo ""
echo "PLAY RECAP ${C}*********************************************************************${N}"
for h in $hosts; do echo "${Y}$h${N}                   : ${G}ok=4${N}    ${Y}changed=3${N}    unreachable=0    failed=0    skipped=0"; done
