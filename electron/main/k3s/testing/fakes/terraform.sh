#!/usr/bin/env bash
# A stand-in for terraform 1.9 in the tests: what the real one prints (plan summary, the approval prompt verbatim),
# a plan file, a state file, `output -raw kubeconfig`, long coloured output, and a failure mode (FAKE_FAIL).
FAKE_TOOL=terraform
. "@@DIR@@/common.sh"
fake_log "$@"
chdir=.
while [ $# -gt 0 ]; do case "$1" in -chdir=*) chdir="${1#-chdir=}"; shift ;; *) break ;; esac; done
cmd="${1:-}"; [ $# -gt 0 ] && shift
n="${FAKE_RESOURCES:-3}"

ovh_check() {
  for v in OVH_ENDPOINT OVH_APPLICATION_KEY OVH_APPLICATION_SECRET OVH_CONSUMER_KEY; do
    [ -n "${!v:-}" ] || fake_error "Missing required argument" "The argument \"application_key\" is required, but no definition was found (set $v)."
  done
}
echo_secrets() {
  # TF_LOG=DEBUG-like output that shows the provider's configuration: the app must mask it, wherever it is cut.
  if [ "${FAKE_ECHO_SECRETS:-}" = 1 ]; then
    printf '%s' "[DEBUG] provider.ovh: application_secret=${OVH_APPLICATION_SECRET:0:6}"
    printf '%s\n' "${OVH_APPLICATION_SECRET:6} consumer_key=${OVH_CONSUMER_KEY}"
  fi
}
plan_body() {
  echo ""
  echo "Terraform used the selected providers to generate the following execution"
  echo "plan. Resource actions are indicated with the following symbols:"
  echo "  ${G}+${N} create"
  echo ""
  echo "Terraform will perform the following actions:"
  for i in $(seq 0 $((n - 1))); do
    echo ""
    echo "${B}  # ovh_cloud_project_instance.node[$i]${N} will be created"
    echo "  ${G}+${N} resource \"ovh_cloud_project_instance\" \"node\" {"
    echo "      ${G}+${N} flavor_name = \"b3-8\""
    echo "      ${G}+${N} id          = (known after apply)"
    echo "      ${G}+${N} name        = \"koprogo-node-$i\""
    echo "    }"
  done
  echo ""
  echo "${B}Plan:${N} $n to add, 0 to change, 0 to destroy."
}

case "$cmd" in
  version)
    if [ "${1:-}" = -json ]; then
      printf '{\n  "terraform_version": "1.9.8",\n  "platform": "linux_amd64",\n  "provider_selections": {},\n  "terraform_outdated": false\n}\n'
    else
      printf 'Terraform v1.9.8\non linux_amd64\n'
    fi
    ;;
  init)
    echo ""
    echo "${B}Initializing the backend...${N}"
    echo ""
    echo "${B}Initializing provider plugins...${N}"
    echo "- Finding ovh/ovh versions matching \"~> 0.51\"..."
    echo "- Installing ovh/ovh v0.51.0..."
    echo "- Installed ovh/ovh v0.51.0 (signed by a HashiCorp partner, key ID F5BD0CE7D3F4A9A2)"
    [ "${FAKE_FAIL:-}" = init ] && fake_error "Failed to query available provider packages" "Could not retrieve the list of available versions for provider ovh/ovh."
    echo ""
    echo "${B}${G}Terraform has been successfully initialized!${N}"
    ;;
  plan)
    out=""; input=true
    for a in "$@"; do case "$a" in -out=*) out="${a#-out=}" ;; -input=false) input=false ;; esac; done
    ovh_check
    if [ -n "${FAKE_ASK_VARIABLE:-}" ]; then
      name="TF_VAR_${FAKE_ASK_VARIABLE}"
      if [ -z "${!name:-}" ]; then
        [ "$input" = false ] && fake_error "No value for required variable" "The root module input variable \"$FAKE_ASK_VARIABLE\" is not set."
        printf 'var.%s\n  Public domain of the API (e.g. api.koprogo.example)\n\n  Enter a value: ' "$FAKE_ASK_VARIABLE"
        read -r _value
        echo ""
      fi
    fi
    echo_secrets
    echo "${B}ovh_cloud_project.koprogo: Refreshing state...${N}"
    plan_body
    [ "${FAKE_FAIL:-}" = plan ] && fake_error "Invalid provider configuration" "The OVH API refused the credentials."
    if [ -n "$out" ]; then
      (cd "$chdir" && printf 'fake-plan %s\n' "$n" > "$out")
      echo ""
      echo "─────────────────────────────────────────────────────────────────────────────"
      echo ""
      echo "Saved the plan to: $out"
      echo ""
      echo "To perform exactly these actions, run the following command to apply:"
      echo "    terraform apply \"$out\""
    fi
    ;;
  apply)
    auto=false; planfile=""
    for a in "$@"; do case "$a" in -auto-approve) auto=true ;; -*) ;; *) planfile="$a" ;; esac; done
    ovh_check
    if [ -z "$planfile" ]; then
      plan_body
      if [ "$auto" != true ]; then
        echo ""
        echo "${B}Do you want to perform these actions?${N}"
        echo "  Terraform will perform the actions described above."
        echo "  Only 'yes' will be accepted to approve."
        echo ""
        printf '  %sEnter a value:%s ' "$B" "$N"
        read -r answer
        echo ""
        if [ "$answer" != yes ]; then
          echo "Apply cancelled."
          exit 1
        fi
      fi
    elif ! (cd "$chdir" && [ -f "$planfile" ]); then
      fake_error "Failed to load \"$planfile\" as a plan file" "stat $planfile: no such file or directory"
    fi
    # Like Terraform: Ctrl-C asks for a graceful stop, and the resources being created are finished first.
    trap 'echo ""; echo "${B}Interrupt received.${N}"; echo "${B}Please wait for Terraform to exit or data loss may occur.${N}"; echo "${B}Gracefully shutting down...${N}"' INT
    for i in $(seq 0 $((n - 1))); do
      echo "${B}ovh_cloud_project_instance.node[$i]: Creating...${N}"
      fake_slow
      for j in $(seq 1 "${FAKE_EXTRA_LINES:-0}"); do echo "${B}ovh_cloud_project_instance.node[$i]: Still creating... [${j}0s elapsed]${N}"; done
      echo "${B}ovh_cloud_project_instance.node[$i]: Creation complete after 42s [id=node-$i]${N}"
    done
    [ "${FAKE_FAIL:-}" = apply ] && fake_error "creating instance: Quota exceeded for cores: Requested 8, but already used 30 of 34 cores" "The project has no room left in GRA11 for this flavor."
    (cd "$chdir" && printf '{"version":4,"serial":1,"resources":%s}\n' "$n" > terraform.tfstate)
    echo ""
    echo "${B}${G}Apply complete! Resources: $n added, 0 changed, 0 destroyed.${N}"
    ;;
  output)
    if [ -n "${FAKE_KUBECONFIG:-}" ] && [ -f "$FAKE_KUBECONFIG" ]; then cat "$FAKE_KUBECONFIG"; else fake_error "Output \"kubeconfig\" not found" "The output variable requested could not be found in the state file."; fi
    ;;
  *)
    echo "Usage: terraform [global options] <subcommand> [args]"
    exit 1
    ;;
esac
