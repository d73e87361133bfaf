// Default values the wizard proposes; the main side applies the same ones when a setting is absent.

export const CODE_DEFAULTS = {
  ref: 'main',
  composeFiles: 'docker-compose.yml,docker-compose.prod.yml',
  composeProject: 'koprogo',
  healthUrl: 'http://127.0.0.1:8080/health',
} as const;

export const CONFIG_DEFAULTS = { hostname: 'koprogo', timezone: 'Europe/Brussels' } as const;

/** Where the deployment puts its cron jobs and backups on the server (unless the profile says otherwise). */
export const LAYOUT_DEFAULTS = { cronDir: '/etc/cron.d', backupDir: '/var/backups/koprogo' } as const;
