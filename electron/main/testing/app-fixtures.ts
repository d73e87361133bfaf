// Runnable fixture repositories for the deploy path on the test host: the layouts of recipe/fixtures/layouts.ts
// (a standalone production compose run by a Makefile through a GitOps script; a shared base + per-environment
// override chosen by a Makefile; a root dev compose + production overlay chosen by a CI workflow; images only
// built from source, the command in the README), with images the test host has: busybox and PostgreSQL pushed
// to local registries. What stands in for Traefik: a busybox `nc` server that routes by Host header to the backend
// (route.sh), the only service published, as Traefik is in production.

/** Registries the images come from: `registry` without authentication, `privateRegistry` with htpasswd. */
export interface FixtureRegistries {
  registry: string;
  privateRegistry: string;
}

/** The stand-in for Traefik: one router by Host header (like `Host(\`${API_DOMAIN}\`)`) to the backend. */
export const ROUTE_SH = `#!/bin/sh
# Stand-in for Traefik (no Traefik image here): routes by Host header, like the router Host(\`$API_HOST\`).
cr=$(printf '\\r')
read -r method path version
host=
while read -r line; do
  line=\${line%"$cr"}
  [ -z "$line" ] && break
  case "$line" in
    [Hh][Oo][Ss][Tt]:*) host=\${line#*:}; host=\${host# }; host=\${host%%:*} ;;
  esac
done
echo "route $method $path host=$host" >&2
if [ "$host" = "$API_HOST" ]; then
  if body=$(wget -q -O- "http://$BACKEND$path" 2>/dev/null); then
    printf 'HTTP/1.0 200 OK\\r\\nContent-Type: text/plain\\r\\nContent-Length: %s\\r\\n\\r\\n%s\\n' "$((\${#body} + 1))" "$body"
  else
    printf 'HTTP/1.0 502 Bad Gateway\\r\\nContent-Length: 0\\r\\n\\r\\n'
  fi
else
  printf 'HTTP/1.0 404 Not Found\\r\\nContent-Length: 0\\r\\n\\r\\n'
fi
`;

const HEALTH = `    healthcheck:
      test: ["CMD", "wget", "-q", "-O-", "http://127.0.0.1:8080/api/v1/health"]
      interval: 1s
      timeout: 2s
      retries: 90
`;

/** A backend: busybox httpd answering /api/v1/health with `ok <VERSION>` (the image's /VERSION, else 1). */
const BACKEND_COMMAND = `["sh", "-c", "mkdir -p /www/api/v1 && echo \\"ok $$(cat /VERSION 2>/dev/null || echo 1)\\" > /www/api/v1/health && exec httpd -f -p 8080 -h /www"]`;

const DEV_COMPOSE = (r: FixtureRegistries) => `# Local development: docker compose up (builds from source, mounts the code, publishes every port)
services:
  postgres:
    image: ${r.registry}/library/postgres:15
    environment:
      POSTGRES_USER: koprogo
      POSTGRES_PASSWORD: koprogo123
      POSTGRES_DB: koprogo_db
    ports:
      - "\${DB_PORT:-5432}:5432"
    volumes:
      - postgres_data:/var/lib/postgresql/data
  backend:
    build:
      context: ./backend
      dockerfile: Dockerfile.dev
    volumes:
      - ./backend:/src
    ports:
      - "\${BACKEND_PORT:-8080}:8080"
volumes:
  postgres_data:
`;

const MONITORING: Record<string, string> = {
  'monitoring/scripts/vps_metrics.sh': `#!/bin/bash
# KoproGo VPS monitoring: exit 0 OK, 1 WARNING, 2 CRITICAL
set -uo pipefail
RAM_WARNING_THRESHOLD=75
CONFIG_FILE="$(dirname "$0")/../config/thresholds.env"
if [[ -f "$CONFIG_FILE" ]]; then source "$CONFIG_FILE"; fi
RAM=$(free | grep Mem | awk '{printf "%.2f", ($3/$2) * 100.0}')
mkdir -p "$(dirname "$0")/../logs"
echo "{\\"ram\\": $RAM}" > "$(dirname "$0")/../logs/metrics_$(date +%Y%m%d_%H%M%S).json"
if (( $(echo "$RAM >= $RAM_WARNING_THRESHOLD" | bc -l) )); then
  echo "[WARNING] RAM usage: \${RAM}% (threshold \${RAM_WARNING_THRESHOLD}%)"
  exit 1
fi
echo "[INFO] RAM usage: \${RAM}% - OK"
`,
  'monitoring/scripts/postgres_metrics.sh': `#!/bin/bash
set -euo pipefail
DB_URL="\${DATABASE_URL:-postgresql://koprogo:koprogo123@localhost:5432/koprogo_db}"
psql "$DB_URL" -t -A -c "SELECT 'database=' || current_database() || ' connections=' || count(*) FROM pg_stat_activity WHERE datname = current_database()"
`,
  'monitoring/scripts/capacity_calculator.sh': `#!/bin/bash
set -euo pipefail
DB_URL="\${DATABASE_URL:-postgresql://koprogo:koprogo123@localhost:5432/koprogo_db}"
TABLES=$(psql "$DB_URL" -t -A -c "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'")
echo "Estimated maximum copropriétés: $(echo "15000 - $TABLES" | bc)"
`,
  // Every RAM usage is a warning here: the script exits 1 on each run.
  'monitoring/config/thresholds.env': 'RAM_WARNING_THRESHOLD=0\n',
  'monitoring/README.md': '# Monitoring\n\n```bash\n# Weekly log rotation (delete logs older than 5 days)\n0 2 * * 0 find /home/koprogo/monitoring/logs -name "*.json" -mtime +5 -delete\n```\n',
};

const RUST: Record<string, string> = {
  'backend/Cargo.toml': '[package]\nname = "koprogo-api"\nversion = "0.4.0"\n',
  'backend/src/main.rs': 'fn main() {}\n',
  'backend/Dockerfile.dev': 'FROM rust:1.83\n',
};

// ---- (g) standalone production compose in deploy/production/, `make deploy-prod` → gitops-deploy.sh -----------

export function gitopsFiles(r: FixtureRegistries): Record<string, string> {
  return {
    'README.md': '# KoproGo (test fixture)\n',
    Makefile: `.PHONY: dev deploy-prod deploy-staging
dev: ## Development
\tdocker compose up

deploy-prod: ## Production (GitOps)
\tcd deploy/production && ./gitops-deploy.sh deploy

deploy-staging: ## Staging
\tcd deploy/staging && docker compose up -d
`,
    'docker-compose.yml': DEV_COMPOSE(r),
    'deploy/production/docker-compose.yml': `# KoproGo production: complete on its own (managed by gitops-deploy.sh)
services:
  proxy:
    image: ${r.registry}/library/busybox:1
    container_name: koprogo-proxy
    command: ["sh", "-c", "exec nc -ll -p 80 -e /route.sh"]
    environment:
      API_HOST: \${API_DOMAIN}
      BACKEND: backend:8080
    volumes:
      - ./proxy/route.sh:/route.sh:ro
    ports:
      - "127.0.0.1:\${PROXY_PORT:-80}:80"

  postgres:
    image: ${r.registry}/library/postgres:15
    container_name: koprogo-postgres
    environment:
      POSTGRES_USER: koprogo
      POSTGRES_PASSWORD: \${POSTGRES_PASSWORD:-koprogo123}
      POSTGRES_DB: koprogo_db
    command: ["postgres", "-c", "max_connections=20", "-c", "shared_preload_libraries=pg_stat_statements"]
    volumes:
      - postgres_data:/var/lib/postgresql/data
    healthcheck:
      test: ["CMD-SHELL", "pg_isready -U koprogo -d koprogo_db"]
      interval: 1s
      timeout: 2s
      retries: 90

  backend:
    image: ${r.privateRegistry}/koprogo/backend:\${IMAGE_TAG:-main-latest}
    container_name: koprogo-backend
    command: ${BACKEND_COMMAND}
    environment:
      DATABASE_URL: postgresql://koprogo:\${POSTGRES_PASSWORD:-koprogo123}@postgres:5432/koprogo_db
    depends_on:
      postgres:
        condition: service_healthy
    labels:
      - "traefik.enable=true"
      - "traefik.http.routers.backend.rule=Host(\`\${API_DOMAIN}\`)"
      - "traefik.http.services.backend.loadbalancer.server.port=8080"
${HEALTH}
  minio:
    image: ${r.registry}/library/busybox:1
    container_name: koprogo-minio
    command: ["sh", "-c", "mkdir -p /data/documents && exec httpd -f -p 9000 -h /data"]
    volumes:
      - minio_data:/data

volumes:
  postgres_data:
  minio_data:
`,
    'deploy/production/proxy/route.sh': ROUTE_SH,
    'deploy/production/.env.example': 'API_DOMAIN=api.example.com\nPROXY_PORT=80\nPOSTGRES_PASSWORD=CHANGE_THIS_PASSWORD\nIMAGE_TAG=main-latest\n',
    'deploy/production/gitops-deploy.sh': `#!/bin/bash
# GitOps deployment script for KoproGo: pulls the images and redeploys with Docker Compose
set -e
REPO_DIR="\${REPO_DIR:-/home/debian/koprogo}"
COMPOSE_FILE="deploy/production/docker-compose.yml"
ENV_FILE="deploy/production/.env"

deploy() {
    cd "$REPO_DIR"
    if [ ! -f "$ENV_FILE" ]; then echo ".env file not found at $ENV_FILE"; return 1; fi
    docker compose -f "$COMPOSE_FILE" pull
    docker compose -f "$COMPOSE_FILE" up -d
}

case "\${1:-help}" in
    deploy) deploy ;;
    *) echo "Usage: $0 {deploy}" ;;
esac
`,
    'deploy/staging/docker-compose.yml': 'services:\n  backend:\n    image: busybox\n',
    'deploy/staging/.env.example': 'API_DOMAIN=staging.example.com\n',
    'backend/migrations/20250102000000_seed_superadmin.sql': '-- Seed the first superadmin account.\n-- Login: admin@koprogo.com\n-- Password: admin123\nINSERT INTO users (email, role) VALUES (\'admin@koprogo.com\', \'superadmin\');\n',
    ...MONITORING,
    ...RUST,
  };
}

// ---- (h) shared base + per-environment override, chosen by the Makefile --------------------------------------

/** A stand-in PostgreSQL (busybox): it keeps the repository's long command, which the phase-2 override must keep too. */
const PG_STANDIN = (r: FixtureRegistries) => `  postgres:
    image: ${r.registry}/library/postgres:15-standin
    entrypoint: ["sh", "-c", "exec sleep 2147483647", "--"]
    environment:
      POSTGRES_USER: koprogo
      POSTGRES_DB: koprogo_db
      POSTGRES_PASSWORD: \${POSTGRES_PASSWORD}
    command:
      - "postgres"
      - "-c"
      - "shared_buffers=\${PG_SHARED_BUFFERS:-256MB}"
      - "-c"
      - "max_connections=\${PG_MAX_CONNECTIONS:-15}"
      - "-c"
      - "max_wal_size=1GB"
      - "-c"
      - "log_min_duration_statement=1000"
      - "-c"
      - "shared_preload_libraries=pg_stat_statements"
    volumes:
      - postgres_data:/var/lib/postgresql/data
`;

export function monositeFiles(r: FixtureRegistries): Record<string, string> {
  const base = `# KoproGo base: shared across all VPS environments
# Used with: docker compose -f base.yml -f <env>/docker-compose.override.yml up
services:
${PG_STANDIN(r)}
  backend:
    image: ${r.registry}/koprogo/backend:1.0
    command: ${BACKEND_COMMAND}
    environment:
      RUST_LOG: info
      API_DOMAIN: \${API_DOMAIN}
    labels:
      - "traefik.enable=true"
      - "traefik.http.routers.backend.rule=Host(\`\${API_DOMAIN}\`)"
    ports:
      - "127.0.0.1:\${BACKEND_PORT}:8080"
    deploy:
      resources:
        limits:
          memory: \${BACKEND_MEM_LIMIT:-384M}
          cpus: '0.75'
        reservations:
          memory: 256M
${HEALTH}
volumes:
  postgres_data:
`;
  const override = (env: string) => `# ${env} overrides
services:
  backend:
    environment:
      RUST_LOG: ${env === 'production' ? 'warn' : 'debug'}
    restart: unless-stopped
`;
  return {
    'README.md': '# KoproGo (test fixture)\n',
    Makefile: `VPS_ENV ?= production
BASE := infrastructure/_shared/docker-compose/docker-compose.base.yml
ENV_DIR = infrastructure/monosite/vps/$(VPS_ENV)
COMPOSE = docker compose -f $(BASE) -f $(ENV_DIR)/docker-compose.override.yml --env-file $(ENV_DIR)/.env

dev:
\tdocker compose up

vps-pull:
\t$(COMPOSE) pull

vps-deploy: vps-pull ## Deploy the VPS environment
\t$(COMPOSE) up -d --remove-orphans
`,
    'docker-compose.yml': DEV_COMPOSE(r),
    'infrastructure/_shared/docker-compose/docker-compose.base.yml': base,
    'infrastructure/monosite/vps/production/docker-compose.override.yml': override('production'),
    'infrastructure/monosite/vps/production/.env.example': 'API_DOMAIN=api.koprogo.example\nBACKEND_PORT=8080\nPOSTGRES_PASSWORD=CHANGE_THIS_PASSWORD\n',
    'infrastructure/monosite/vps/dev/docker-compose.override.yml': override('dev'),
    'infrastructure/monosite/vps/dev/.env.example': 'API_DOMAIN=api.dev.koprogo.example\n',
    ...RUST,
  };
}

// ---- (f) root dev compose + production overlay, chosen by the CI workflow (`--env-file .env.production`) --------

export function overlayFiles(r: FixtureRegistries): Record<string, string> {
  return {
    'README.md': '# KoproGo (test fixture)\n',
    'docker-compose.yml': DEV_COMPOSE(r),
    'docker-compose.prod.yml': `# Production overlay (the dev file's ports stay published: Compose concatenates ports)
services:
  postgres:
    environment:
      POSTGRES_PASSWORD: \${POSTGRES_PASSWORD}
  backend:
    image: ${r.registry}/koprogo/backend:1.0
    command: ${BACKEND_COMMAND}
    restart: unless-stopped
${HEALTH}`,
    '.env.production.example': 'DB_PORT=5432\nBACKEND_PORT=8080\nPOSTGRES_PASSWORD=CHANGE_THIS_PASSWORD\n',
    '.github/workflows/deploy.yml': `name: Deploy
on: { push: { branches: [main] } }
jobs:
  deploy:
    runs-on: ubuntu-latest
    steps:
      - run: |
          ssh deploy@vps "cd /opt/koprogo && docker compose -f docker-compose.yml -f docker-compose.prod.yml --env-file .env.production pull"
          ssh deploy@vps "cd /opt/koprogo && docker compose -f docker-compose.yml -f docker-compose.prod.yml --env-file .env.production up -d"
`,
    ...RUST,
  };
}

// ---- (i) only built from source; the production command in the README ----------------------------------------

export function buildOnlyFiles(r: FixtureRegistries): Record<string, string> {
  return {
    'README.md': '# KoproGo\n\n## Development\n\n```bash\ndocker compose up\n```\n\n## Production deployment\n\n```bash\ncp .env.example .env\ndocker compose -f docker-compose.yml -f docker-compose.prod.yml up -d --build\n```\n',
    'docker-compose.yml': `services:
  backend:
    build: ./backend
    ports:
      - "127.0.0.1:\${BACKEND_PORT}:8080"
${HEALTH}
  frontend:
    build: ./frontend
`,
    'docker-compose.prod.yml': 'services:\n  backend:\n    restart: unless-stopped\n  frontend:\n    restart: unless-stopped\n',
    '.env.example': 'BACKEND_PORT=8080\nJWT_SECRET=CHANGE_THIS_SECRET\n',
    'backend/Cargo.toml': '[package]\nname = "koprogo-api"\nversion = "0.4.0"\n',
    'backend/src/main.rs': 'fn main() {}\n',
    'backend/Dockerfile': `FROM ${r.registry}/library/busybox:1\nRUN mkdir -p /www/api/v1 && echo "ok built" > /www/api/v1/health\nCMD ["httpd", "-f", "-p", "8080", "-h", "/www"]\n`,
    'frontend/package.json': '{ "name": "koprogo-frontend" }\n',
    'frontend/Dockerfile': `FROM ${r.registry}/library/busybox:1\nRUN mkdir -p /www && echo frontend > /www/index.html\nCMD ["httpd", "-f", "-p", "3000", "-h", "/www"]\n`,
  };
}
