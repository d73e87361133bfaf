// Fixture repositories for the K3s entry points, as `{ path: content }` maps (recipe detection, the GitHub fake,
// and — through repo.ts — real Git repositories the runs clone):
//  (a) the roadmap's shape: `infrastructure/scripts/deploy.sh dev|staging|prod` with its tool and variable checks,
//      coloured output, Terraform plan then a `(yes/no)` question, Ansible writing `~/.kube/koprogo-<env>`, Helm;
//  (b) a per-environment stack: `infrastructure/environments/<env>/{terraform,ansible,kustomize|helm}` and a
//      Makefile wrapping them;
//  (c) entry points that are not K3s: a Terraform root provisioning one VPS running Compose, and a deploy script
//      whose Terraform root is empty.
// Untidy like real ones: a stale script in scripts/, a README, comments, a helper library sourced by the script.
import type { FileMap } from '../../testing/github-fake';

const K3S_MODULE = `# One K3s cluster on OVHcloud Public Cloud: control planes and workers from the same image.
variable "name" {}
variable "region" { default = "GRA11" }
variable "control_planes" { default = 1 }
variable "workers" { default = 1 }
variable "flavor" { default = "b3-8" }

resource "ovh_cloud_project_instance" "control_plane" {
  count        = var.control_planes
  name         = "\${var.name}-cp-\${count.index}"
  region       = var.region
  flavor_name  = var.flavor
  user_data    = templatefile("\${path.module}/k3s-server.sh", {})
}

resource "ovh_cloud_project_instance" "worker" {
  count        = var.workers
  name         = "\${var.name}-worker-\${count.index}"
  region       = var.region
  flavor_name  = var.flavor
}

output "control_plane_ips" { value = ovh_cloud_project_instance.control_plane[*].ip }
`;

const envRoot = (env: string, cp: number, workers: number) => `terraform {
  required_providers {
    ovh = { source = "ovh/ovh", version = "~> 0.51" }
  }
}

provider "ovh" {
  # OVH_ENDPOINT, OVH_APPLICATION_KEY, OVH_APPLICATION_SECRET, OVH_CONSUMER_KEY from the environment.
}

module "k3s" {
  source         = "../../modules/k3s"
  name           = "koprogo-${env}"
  control_planes = ${cp}
  workers        = ${workers}
}
`;

export const DEPLOY_SCRIPT = `#!/usr/bin/env bash
# Deploy KoproGo on K3s (OVHcloud Public Cloud).
#   cd infrastructure && ./scripts/deploy.sh <dev|staging|prod>
# Needs: terraform, ansible-playbook, helm, kubectl, and the OVH API credentials exported.
set -euo pipefail

SCRIPT_DIR="$(cd "$(dirname "$0")" && pwd)"
INFRA_DIR="$(dirname "$SCRIPT_DIR")"
# shellcheck source=lib.sh
. "$SCRIPT_DIR/lib.sh"

ENV="\${1:-}"
case "$ENV" in
  dev|staging|prod) ;;
  *)
    echo "Usage: $0 {dev|staging|prod}"
    exit 1
    ;;
esac

log "Checking the tools"
for tool in terraform ansible-playbook helm kubectl; do
  command -v "$tool" >/dev/null 2>&1 || die "$tool is not installed (see infrastructure/README.md)"
done
ok "terraform $(terraform version -json | sed -n 's/.*"terraform_version": *"\\([^"]*\\)".*/\\1/p'), $(helm version --short)"

log "Checking the environment"
for var in OVH_ENDPOINT OVH_APPLICATION_KEY OVH_APPLICATION_SECRET OVH_CONSUMER_KEY; do
  [ -n "\${!var:-}" ] || die "$var is not set: export the OVH credentials first"
done
: "\${KOPROGO_DOMAIN:?KOPROGO_DOMAIN must be set (the public domain of the API)}"
ok "OVH endpoint $OVH_ENDPOINT, domain $KOPROGO_DOMAIN"

cd "$INFRA_DIR/terraform/environments/$ENV"
log "Terraform: init"
terraform init -input=false
log "Terraform: plan"
terraform plan -out=tfplan
echo
read -r -p "Apply Terraform plan? (yes/no): " answer
if [ "$answer" != "yes" ]; then
  warn "Aborted: nothing was changed."
  exit 1
fi
terraform apply tfplan

log "Ansible: K3s on the nodes"
ansible-playbook -i "$INFRA_DIR/ansible/inventory/$ENV.ini" "$INFRA_DIR/ansible/site.yml" -e "kubeconfig_dest=$HOME/.kube/koprogo-$ENV"

log "Helm: KoproGo"
export KUBECONFIG="$HOME/.kube/koprogo-$ENV"
helm upgrade --install koprogo "$INFRA_DIR/helm/koprogo" -f "$INFRA_DIR/helm/koprogo/values-$ENV.yaml" --namespace koprogo --create-namespace --wait
kubectl get nodes
ok "KoproGo is deployed on $ENV. export KUBECONFIG=~/.kube/koprogo-$ENV"
`;

const LIB = `# Colours and messages for the deploy scripts.
RED='\\033[0;31m'; GREEN='\\033[0;32m'; YELLOW='\\033[1;33m'; BLUE='\\033[0;34m'; NC='\\033[0m'
log()  { printf "\${BLUE}[%s]\${NC} %s\\n" "$(date +%H:%M:%S)" "$*"; }
ok()   { printf "\${GREEN}✓\${NC} %s\\n" "$*"; }
warn() { printf "\${YELLOW}!\${NC} %s\\n" "$*"; }
die()  { printf "\${RED}✗ %s\${NC}\\n" "$*" >&2; exit 1; }
`;

const COMMON: FileMap = {
  'README.md': '# KoproGo\n\nSee infrastructure/README.md for K3s.\n',
  'backend/Cargo.toml': '[package]\nname = "koprogo-api"\nversion = "0.1.0"\n',
  'backend/src/main.rs': 'fn main() {}\n',
};

/** (a) The roadmap's shape. */
export const K3S_SCRIPT_FILES: FileMap = {
  ...COMMON,
  'infrastructure/README.md': '# Infrastructure\n\n```\ncd infrastructure\nexport OVH_ENDPOINT=ovh-eu ...\n./scripts/deploy.sh dev\n```\n',
  'infrastructure/scripts/deploy.sh': DEPLOY_SCRIPT,
  'infrastructure/scripts/lib.sh': LIB,
  // Stale: kept by the repository, not used by deploy.sh.
  'infrastructure/scripts/old-setup.sh': '#!/bin/sh\n# Old manual setup, before Terraform. Do not use.\necho "use deploy.sh"\n',
  'infrastructure/terraform/modules/k3s/main.tf': K3S_MODULE,
  'infrastructure/terraform/modules/k3s/k3s-server.sh': '#!/bin/sh\ncurl -sfL https://get.k3s.io | sh -s - server\n',
  'infrastructure/terraform/environments/dev/main.tf': envRoot('dev', 1, 1),
  'infrastructure/terraform/environments/staging/main.tf': envRoot('staging', 1, 2),
  'infrastructure/terraform/environments/prod/main.tf': envRoot('prod', 3, 3),
  'infrastructure/ansible/site.yml': '- hosts: k3s\n  become: true\n  roles:\n    - k3s\n    - fetch-kubeconfig\n',
  'infrastructure/ansible/inventory/dev.ini': '[k3s]\nkoprogo-dev-cp-0\n',
  'infrastructure/ansible/inventory/staging.ini': '[k3s]\nkoprogo-staging-cp-0\n',
  'infrastructure/ansible/inventory/prod.ini': '[k3s]\nkoprogo-prod-cp-0\nkoprogo-prod-cp-1\nkoprogo-prod-cp-2\n',
  'infrastructure/helm/koprogo/Chart.yaml': 'apiVersion: v2\nname: koprogo\nversion: 0.3.0\n',
  'infrastructure/helm/koprogo/values.yaml': 'replicaCount: 1\n',
  'infrastructure/helm/koprogo/values-dev.yaml': 'replicaCount: 1\n',
  'infrastructure/helm/koprogo/values-staging.yaml': 'replicaCount: 2\n',
  'infrastructure/helm/koprogo/values-prod.yaml': 'replicaCount: 3\n',
};

const stackTerraform = (env: string, nodes: number) => `terraform {
  required_providers {
    openstack = { source = "terraform-provider-openstack/openstack" }
    ovh       = { source = "ovh/ovh" }
  }
}

resource "openstack_compute_instance_v2" "node" {
  count       = ${nodes}
  name        = "koprogo-${env}-\${count.index}"
  flavor_name = "b3-8"
  user_data   = "#cloud-config\\nruncmd:\\n  - curl -sfL https://get.k3s.io | sh -\\n"
}

output "kubeconfig" {
  value     = "written by the k3s role"
  sensitive = true
}
`;

const STACK_VARIABLES = `variable "domain" {
  description = "Public domain of the API (e.g. api.koprogo.example)"
  type        = string
}

variable "nodes" {
  type    = number
  default = 2
}
`;

/** (b) A per-environment stack driven by a Makefile. */
export const K3S_STACK_FILES: FileMap = {
  ...COMMON,
  'infrastructure/Makefile': `ENV ?= dev
TF = terraform -chdir=environments/$(ENV)/terraform

.PHONY: init plan apply ansible deploy
init:
\t$(TF) init
plan: init
\t$(TF) plan -out=tfplan
apply:
\t$(TF) apply tfplan
ansible:
\tcd environments/$(ENV)/ansible && ansible-playbook -i inventory.ini site.yml
deploy: apply ansible
\tkustomize build environments/$(ENV)/kustomize | kubectl apply -f -
`,
  'infrastructure/environments/dev/terraform/main.tf': stackTerraform('dev', 2),
  'infrastructure/environments/dev/terraform/variables.tf': STACK_VARIABLES,
  'infrastructure/environments/dev/ansible/inventory.ini': '[k3s]\nkoprogo-dev-0\nkoprogo-dev-1\n',
  'infrastructure/environments/dev/ansible/site.yml': '- hosts: k3s\n  roles:\n    - k3s\n',
  'infrastructure/environments/dev/ansible/ansible.cfg': '[defaults]\nhost_key_checking = True\n',
  'infrastructure/environments/dev/kustomize/kustomization.yaml': 'resources:\n  - ../../../k8s/base\nnamespace: koprogo\n',
  'infrastructure/environments/prod/terraform/main.tf': stackTerraform('prod', 6),
  'infrastructure/environments/prod/terraform/variables.tf': STACK_VARIABLES,
  'infrastructure/environments/prod/ansible/inventory.ini': '[k3s]\nkoprogo-prod-0\n',
  'infrastructure/environments/prod/ansible/site.yml': '- hosts: k3s\n  roles:\n    - k3s\n',
  'infrastructure/environments/prod/helm/values.yaml': 'replicaCount: 3\n',
  'infrastructure/charts/koprogo/Chart.yaml': 'apiVersion: v2\nname: koprogo\nversion: 0.3.0\n',
  'infrastructure/k8s/base/kustomization.yaml': 'resources:\n  - deployment.yaml\n',
  'infrastructure/k8s/base/deployment.yaml': 'apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: koprogo-backend\n',
};

/** (c1) Terraform that provisions one VPS running Compose, behind a script named like a K3s one. */
export const SINGLE_VPS_FILES: FileMap = {
  ...COMMON,
  'docker-compose.yml': 'services:\n  backend:\n    image: ghcr.io/gilmry/koprogo-backend:latest\n',
  'infrastructure/scripts/deploy.sh': '#!/usr/bin/env bash\n# ./scripts/deploy.sh <dev|prod>\ncase "$1" in dev|prod) ;; *) echo "Usage: $0 {dev|prod}"; exit 1 ;; esac\ncd "$(dirname "$0")/../terraform"\nterraform apply -var env=$1\n',
  'infrastructure/terraform/main.tf': `resource "ovh_cloud_project_instance" "vps" {
  name        = "koprogo"
  flavor_name = "d2-4"
  user_data   = "#cloud-config\\nruncmd:\\n  - docker compose -f /opt/koprogo/docker-compose.yml up -d\\n"
}
`,
};

/** (c2) A deploy script whose Terraform root is empty. */
export const EMPTY_TERRAFORM_FILES: FileMap = {
  ...COMMON,
  'infrastructure/scripts/deploy.sh': '#!/usr/bin/env bash\ncase "$1" in dev|staging|prod) ;; *) echo "Usage: $0 {dev|staging|prod}"; exit 1 ;; esac\ncd "$(dirname "$0")/../terraform"\nterraform init && terraform apply\n',
  'infrastructure/terraform/README.md': '# TODO: the cluster\n',
  'infrastructure/terraform/providers.tf': '# provider "ovh" {} — to be written\n',
};
