// The step engine's vocabulary. A deployment is an ordered list of steps; each step says how to see
// whether it is already done (check), how to do it (apply), and how to confirm it worked (verify).
// Steps are built by pure functions from settings: the commands and files they list ARE the plan.

/** A shell script run with `sh -s` (the script travels on stdin, never on the command line). */
export interface RemoteCommand {
  script: string;
  /** 'root': as root (through `sudo -n` when the login user is not root). 'login': as the SSH user. */
  as: 'root' | 'login';
  timeoutMs?: number;
  /**
   * Long work (package installs, image pulls, compose up): run detached from the SSH session with
   * its output in a log file on the server; a lost connection does not stop it and the engine
   * re-attaches to it.
   */
  detached?: boolean;
}

/** A file the engine writes on the server (SFTP to a private temp file, then installed atomically). */
export interface RemoteFile {
  path: string;
  content: string;
  /** Octal mode, e.g. 0o600. */
  mode: number;
  owner: string;
  group: string;
  /** Content masked in the plan and in logs (e.g. `.env`). */
  secret: boolean;
}

export type Action = { kind: 'run'; command: RemoteCommand } | { kind: 'file'; file: RemoteFile };

export interface Step {
  /** Stable id, used in the journal and as the i18n key `deploy.steps.<id>`. */
  id: string;
  titleParams?: Record<string, string | number>;
  /** Exit 0 means the step is already done and apply is skipped. null: always apply. */
  check: RemoteCommand | null;
  apply: Action[];
  /** Exit 0 confirms the step. null: apply's success is enough. */
  verify: RemoteCommand | null;
}

/** Where things live on the server. Defaults are the real paths; tests point them at a temp folder. */
export interface HostLayout {
  /** The app's own state on the server: journal, lock, run logs, stamps. */
  stateDir: string;
  /** Parent folder of the repository checkout. */
  appRoot: string;
  cronDir: string;
  aptConfDir: string;
  fail2banDir: string;
  backupDir: string;
  binDir: string;
  /** The hosts file the hostname step maps 127.0.1.1 in. */
  hostsFile: string;
  /** Where the log rotation of the app's logs goes (logrotate). */
  logrotateDir: string;
}

export const DEFAULT_LAYOUT: HostLayout = {
  stateDir: '/var/lib/koprogo-deploy',
  appRoot: '/opt/koprogo',
  cronDir: '/etc/cron.d',
  aptConfDir: '/etc/apt/apt.conf.d',
  fail2banDir: '/etc/fail2ban',
  backupDir: '/var/backups/koprogo',
  binDir: '/usr/local/bin',
  hostsFile: '/etc/hosts',
  logrotateDir: '/etc/logrotate.d',
};

/** Everything the phase 1–2 steps need, resolved from the profile and the recipe. */
export interface ComposeDeploySettings {
  phase: 1 | 2;
  layout: HostLayout;
  /** Server hostname to set (e.g. `koprogo-prod`). */
  hostname: string;
  /** IANA zone, default Europe/Brussels. */
  timezone: string;
  /** The deploy user the app creates (default `koprogo`) and its authorized public key (the app's). */
  deployUser: string;
  deployUserPublicKey: string;
  /** SSH port to keep open in the firewall. */
  sshPort: number;
  repo: {
    /** https URL (public) or ssh URL (private, with a read-only deploy key). */
    url: string;
    /** Branch, tag or commit. */
    ref: string;
    /**
     * A private repository: the read-only deploy key (secret) and the known_hosts lines that pin the
     * Git host's SSH keys (e.g. GitHub's, from its API). Written by the `repository-key` step.
     */
    deployKey?: { privateKey: string; knownHosts: string };
  };
  /** Folder name of the checkout under layout.appRoot (default `app`). */
  checkoutName: string;
  /** Compose files relative to the checkout, in order (roadmap: docker-compose.yml + docker-compose.prod.yml). */
  composeFiles: string[];
  /** Compose project name; containers carry the label com.docker.compose.project=<this>. */
  composeProject: string;
  /** Where `.env` goes, relative to the checkout (default `.env`). */
  envFile: string;
  /** The `.env` content, ready for Compose (issue 6 builds it from the env example; secret). */
  envContent: string;
  /** The health endpoint as seen from the server (from the compose healthcheck), e.g. http://127.0.0.1:8080/health. */
  healthUrl: string;
  /** Seconds to wait for every service to be healthy. */
  healthTimeoutSec: number;
  /** PostgreSQL service, user and database, for the daily dump; null when the recipe has none. */
  postgres: { service: string; user: string; database: string } | null;
  /** Monitoring scripts relative to the checkout; null when absent. */
  monitoring: { metrics: string | null; postgresMetrics: string | null; capacity?: string | null };
  /** What the monitoring scripts need (issue 11); absent: plain cron lines, as before. */
  monitoringNeeds?: MonitoringSettings;
  /** Service names that get the phase-2 tuning (null: not present), and what the repository sets already. */
  tuning: {
    postgresService: string | null;
    backendService: string | null;
    /** The PostgreSQL service's command as the combination sets it (null: the image's default). */
    postgresCommand?: string[] | string | null;
    /** The backend's deploy.resources as the combination sets them. */
    backendResources?: Record<string, unknown> | null;
  };
  /**
   * Images (issue 11): the services to pull from their registry (prebuilt first; `moving`: a tag such as `latest`
   * that is re-pulled on every run) and those to build on the server. null: a profile from before, `up --build`.
   */
  images?: { pull: Array<{ service: string; image: string; moving: boolean }>; build: string[] } | null;
  /** A registry to log in to before pulling (the password is secret; stored on the server 0600). */
  registry?: { host: string; user: string; password: string } | null;
  /** The health check through the reverse proxy: the backend's route with its Host header, on the proxy's port. */
  healthProxy?: { host: string; port: number; scheme: 'http' | 'https' } | null;
  /** Copies of compose files with their internal ports bound to 127.0.0.1 (the user consented), used in their place. */
  bindLocal?: Array<{ file: string; copy: string; content: string; sourceSha256: string }>;
  /** Named volumes and bind mounts of user data the daily backup archives besides PostgreSQL. */
  backupData?: { volumes: Array<{ volume: string; name: string | null }>; paths: string[] };
  /** Container names a copy started by the repository's own scripts has: found under another project, the run stops. */
  adoptContainerNames?: string[];
}

/** The monitoring scripts' needs, resolved for the server. */
export interface MonitoringSettings {
  /** Debian packages to install (bc, procps…). */
  packages: string[];
  /** A psql that runs inside the PostgreSQL container goes first on the scripts' PATH. */
  psql: boolean;
  /** DATABASE_URL (without password) and PGPASSWORD for the scripts; the password is secret. */
  database: { url: string; password: string } | null;
  /** Scripts whose exit 1/2 mean warning/critical. */
  warningExit: string[];
  /** Days the logs are kept (the repository's own retention, else 7). */
  retentionDays: number;
}

export type StepState = 'pending' | 'checking' | 'skipped' | 'running' | 'done' | 'failed' | 'cancelled';
