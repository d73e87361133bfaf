// What a repository's monitoring scripts need to run from cron on the server, read from their text: the
// Debian packages of the commands they call, whether they call psql or read DATABASE_URL, and whether exit 1/2
// mean "warning"/"critical" (a report, not a broken cron). Also the retention the repository gives its logs,
// and application accounts it seeds with a known password. Pure.

/** Commands that are not on a minimal Debian/Ubuntu server, and their package. */
const PACKAGES: Array<[RegExp, string]> = [
  [/(^|[\s|;&(`$])bc([\s)|;&`]|$)/mu, 'bc'],
  [/(^|[\s|;&(`$])jq([\s)|;&`]|$)/mu, 'jq'],
  [/(^|[\s|;&(`$])curl\s/mu, 'curl'],
  [/(^|[\s|;&(`$])(top|free|vmstat|pgrep|ps)\s/mu, 'procps'],
  [/(^|[\s|;&(`$])(ss|ip)\s/mu, 'iproute2'],
  [/(^|[\s|;&(`$])iostat\s/mu, 'sysstat'],
  [/(^|[\s|;&(`$])(mail|mailx)\s/mu, 'bsd-mailx'],
];

export interface MonitoringNeeds {
  packages: string[];
  psql: boolean;
  databaseUrl: boolean;
  warningExit: boolean;
}

/** Lines of a script without comments (a `# psql …` comment needs nothing). */
function code(text: string): string {
  return text
    .split('\n')
    .filter((l) => !/^\s*#/u.test(l))
    .join('\n');
}

export function monitoringNeeds(text: string): MonitoringNeeds {
  const body = code(text);
  const packages = PACKAGES.filter(([re]) => re.test(body)).map(([, p]) => p);
  const psql = /(^|[\s|;&(`$])psql(\s|$)/mu.test(body);
  const databaseUrl = /\bDATABASE_URL\b/u.test(body);
  const warningExit = /\bexit\s+[12]\b/u.test(body) && /WARN|CRIT/iu.test(body);
  return { packages: [...new Set(packages)], psql, databaseUrl, warningExit };
}

/** Days the repository keeps monitoring logs: its own `find … -mtime +N -delete`; null when it does not say. */
export function retentionDays(texts: readonly string[]): number | null {
  for (const t of texts) {
    const m = /find\s+[^\n]*(?:monitoring|logs?)[^\n]*-mtime\s+\+(\d{1,3})[^\n]*-delete/u.exec(t);
    if (m?.[1]) return Number(m[1]);
  }
  return null;
}

/** Files whose name says they seed accounts (read to find a default password). */
export function seedCandidates(files: readonly string[]): string[] {
  return files
    .filter((f) => /(^|\/)(migrations?|seeds?|db|database|sql|fixtures)\//iu.test(f) && /seed|superadmin|default[_-]?(admin|user)|admin[_-]?user|initial[_-]?data/iu.test(f.slice(f.lastIndexOf('/') + 1)))
    .filter((f) => /\.(sql|rs|py|ts|js|go|rb|php|json|ya?ml)$/iu.test(f))
    .sort((a, b) => a.length - b.length);
}

const ACCOUNT = /\b(super[\s_-]?admin|admin(istrator)?|root)\b/iu;
const EMAIL = /[\w.+-]+@[\w-]+(\.[\w-]+)+/u;
const PASSWORD = /(?:password|passwd|pwd|mot de passe|wachtwoord)\s*(?:[:=]|is|est|:)\s*[`'"]?([^\s`'",;)]{4,40})/iu;

/** Accounts seeded with a known password: a line (or its neighbours) naming an admin account and a password. */
export function defaultCredentials(file: string, text: string): Array<{ file: string; user: string; password: string }> {
  const out: Array<{ file: string; user: string; password: string }> = [];
  const lines = text.split('\n');
  lines.forEach((line, i) => {
    const p = PASSWORD.exec(line);
    if (!p?.[1] || /\$\{|\$[A-Z_]|<|CHANGE|your|example|\*\*\*|hash|bcrypt|argon/iu.test(p[1])) return;
    const around = lines.slice(Math.max(0, i - 3), i + 4).join('\n');
    if (!ACCOUNT.test(around)) return;
    const user = EMAIL.exec(around)?.[0] ?? ACCOUNT.exec(around)?.[0] ?? 'admin';
    if (!out.some((o) => o.user === user && o.password === p[1])) out.push({ file, user, password: p[1] });
  });
  return out.slice(0, 3);
}
