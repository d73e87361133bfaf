// Typed failures that cross every front door (IPC, WebSocket, CLI) as data, never as stack traces.
// The renderer translates `errors.<code>.message` and `errors.<code>.remedy` with `params`.

export const ERROR_CODES = [
  'ipc.malformed',
  'ipc.unknown_method',
  'ipc.invalid_input',
  'ipc.invalid_output',
  'ipc.untrusted_sender',
  'ipc.payload_too_large',
  'internal.unexpected',
  'profile.not_found',
  'profile.corrupt',
  'profile.future_version',
  'profile.write_failed',
  'shell.url_not_allowed',
  'web.unauthorized',
  'ipc.disconnected',
  'ssh.disconnected',
  'ssh.host_key_unknown',
  'ssh.host_key_mismatch',
  'ssh.exec_failed',
  'ssh.sftp_failed',
  'ssh.upload_failed',
  'ssh.sudo_password',
  'ssh.sudo_missing',
  'ssh.auth_failed',
  'ssh.connection_refused',
  'ssh.host_not_found',
  'ssh.unreachable',
  'ssh.timeout',
  'ssh.key_invalid',
  'ssh.connect_failed',
  'deploy.locked',
  'deploy.step_failed',
  'deploy.verify_failed',
  'deploy.cancelled',
  'deploy.not_ready',
  'deploy.unsupported_os',
  'deploy.health_timeout',
  'deploy.key_file_unreadable',
  'deploy.no_run',
  'deploy.busy',
  'health.no_server',
  'health.container_unknown',
  'health.logs_failed',
  'hetzner.token_invalid',
  'hetzner.token_read_only',
  'hetzner.forbidden',
  'hetzner.limit_exceeded',
  'hetzner.resource_unavailable',
  'hetzner.rate_limited',
  'hetzner.unavailable',
  'hetzner.unknown_outcome',
  'hetzner.invalid_input',
  'hetzner.not_found',
  'hetzner.server_name_taken',
  'hetzner.ssh_key_conflict',
  'hetzner.firewall_conflict',
  'hetzner.action_failed',
  'hetzner.action_timeout',
  'hetzner.response_invalid',
  'hetzner.api_error',
  'hetzner.user_data_invalid',
  'ovh.invalid_application_key',
  'ovh.signature_invalid',
  'ovh.invalid_credentials',
  'ovh.credential_pending',
  'ovh.credential_refused',
  'ovh.validation_timeout',
  'ovh.not_granted',
  'ovh.clock_skew',
  'ovh.not_found',
  'ovh.rate_limited',
  'ovh.unavailable',
  'ovh.unknown_outcome',
  'ovh.invalid_input',
  'ovh.instance_name_taken',
  'ovh.instance_failed',
  'ovh.instance_timeout',
  'ovh.ssh_key_conflict',
  'ovh.response_invalid',
  'ovh.api_error',
  'ovh.no_project',
  // Provider service (issue 5): what is common to every cloud provider.
  'provider.not_configured',
  'provider.offer_unknown',
  'provider.ssh_timeout',
  'provider.unsupported',
  'github.not_found',
  'github.unauthorized',
  'github.rate_limited',
  'github.forbidden',
  'github.unavailable',
  'github.device_expired',
  'github.device_denied',
  'github.too_large',
  'github.invalid_response',
  'github.validation_failed',
  'recipe.repo_url_invalid',
  'recipe.no_form',
  'recipe.phase_not_enabled',
  'health.url_invalid',
  'health.host_not_found',
  'health.connection_refused',
  'health.timeout',
  'health.unreachable',
  'health.tls_untrusted',
  'health.tls_expired',
  'health.http_status',
  'health.kubeconfig_invalid',
  'health.kube_unauthorized',
  'health.kube_response_invalid',
  // Security and reliability (issue 15).
  'deploy.lock_lost',
  'github.insecure_http',
  // issue 11: the production path of the repository
  'deploy.adopt_required',
  'deploy.adopt_gone',
  'deploy.registry_denied',
  'deploy.pull_failed',
  'deploy.override_invalid',
  'deploy.recipe_outdated',
  // Failure paths (issue 14): known causes of a failed step, offline, missing session secrets,
  // profile transfer, auto-update.
  'deploy.no_systemd',
  'deploy.apt_locked',
  'deploy.disk_full',
  'deploy.dns_failed',
  'deploy.port_in_use',
  'deploy.registry_rate_limited',
  'deploy.out_of_memory',
  'deploy.docker_unreachable',
  'network.offline',
  'secret.missing',
  'secret.key_mismatch',
  'recipe.host_not_github',
  'transfer.file_invalid',
  'transfer.passphrase_wrong',
  'transfer.passphrase_too_short',
  'update.failed',
  'update.deploying',
  // K3s deployments, phases 3–4 (issue 12).
  'k3s.not_configured',
  'k3s.no_entry_point',
  'k3s.environment_unknown',
  'k3s.no_runner',
  'k3s.control_host_missing',
  'k3s.pty_unavailable',
  'k3s.workspace_failed',
  'k3s.tmux_missing',
  'k3s.preflight_failed',
  'k3s.prerequisites_missing',
  'k3s.checksum_mismatch',
  'k3s.tool_broken',
  'k3s.ref_not_found',
  'k3s.job_failed',
  'k3s.job_lost',
  'k3s.step_failed',
  'k3s.declined',
  'k3s.cancelled',
  'k3s.busy',
  'k3s.locked',
  'k3s.kubeconfig_missing',
  'k3s.cluster_not_ready',
  // Backups and upgrades (issue 13): proven backups, restore, snapshots, phase moves, recognising a deployment.
  'backup.no_database',
  'backup.not_running',
  'backup.disk_full',
  'backup.dump_failed',
  'backup.checksum_mismatch',
  'backup.dump_truncated',
  'backup.dump_corrupt',
  'backup.verify_mismatch',
  'backup.scratch_failed',
  'backup.not_found',
  'backup.busy',
  'backup.local_postgres_missing',
  'backup.local_write_failed',
  'backup.restore_failed',
  'backup.restore_rollback_failed',
  'backup.not_proven',
  'upgrade.not_available',
  'upgrade.provider_unsupported',
  'upgrade.no_offer',
  'upgrade.busy',
  'upgrade.plan_changed',
  'upgrade.price_not_confirmed',
  'upgrade.server_not_stopped',
  'upgrade.order_pending',
  'upgrade.health_failed',
  'upgrade.already_done',
  'upgrade.no_plan',
  'upgrade.server_unknown',
  'upgrade.rolled_back',
  'upgrade.rollback_failed',
  'upgrade.env_missing',
  'upgrade.unknown_ref',
  'upgrade.no_checkout',
  'upgrade.repo_unreachable',
  'recognize.not_found',
  'recognize.other_deployment',
  // Known causes of a failed K3s step (engine/failure-patterns.ts on the terminal output).
  'k3s.ovh_quota_exceeded',
  'k3s.cluster_unreachable',
  'k3s.node_unreachable',
  // Phase 2 → 3 and 3 → 4 (issue 13, second half).
  'upgrade.cluster_not_deployed',
  'upgrade.cluster_unhealthy',
  'upgrade.cluster_db_missing',
  'upgrade.cluster_db_unreachable',
  'upgrade.cluster_restore_failed',
  'upgrade.cluster_counts_mismatch',
  'upgrade.freeze_failed',
  'upgrade.dns_not_propagated',
  'upgrade.confirm_needed',
  'upgrade.rollback_unavailable',
  'upgrade.checklist_incomplete',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

export type ErrorParams = Record<string, string | number>;

/** One field-level problem, as found by the input schema. `issue` is an i18n key under `validation.`. */
export interface FieldIssue {
  path: string;
  issue: string;
  params: ErrorParams;
}

export interface ErrorEnvelope {
  code: ErrorCode;
  params: ErrorParams;
  /** i18n key of what the user can do next (under `remedies.`). */
  remedy: string;
  fields?: FieldIssue[];
}

export type Envelope<T> = { ok: true; value: T } | { ok: false; error: ErrorEnvelope };

/** Thrown by services; the dispatcher turns it into an ErrorEnvelope. */
export class AppError extends Error {
  readonly code: ErrorCode;
  readonly params: ErrorParams;
  readonly remedy: string;
  readonly fields: FieldIssue[] | undefined;

  constructor(code: ErrorCode, params: ErrorParams = {}, remedy?: string, fields?: FieldIssue[]) {
    super(code);
    this.name = 'AppError';
    this.code = code;
    this.params = params;
    this.remedy = remedy ?? code;
    this.fields = fields;
  }

  toEnvelope(): ErrorEnvelope {
    const env: ErrorEnvelope = { code: this.code, params: this.params, remedy: this.remedy };
    if (this.fields) env.fields = this.fields;
    return env;
  }

  static fromEnvelope(e: ErrorEnvelope): AppError {
    return new AppError(e.code, e.params, e.remedy, e.fields);
  }
}

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && (ERROR_CODES as readonly string[]).includes(value);
}
