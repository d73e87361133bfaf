import { describe, expect, it } from 'vitest';
import { buildConfigForm, KEPT_GROUP, renderConfig } from './config-form';
import { readEnvAsComposeV1, readEnvAsComposeV2 } from './env-file';
import { verifyApr1 } from './env-kinds';
import { ENV_VPS_EXAMPLE } from './fixtures/repos';

let n = 0;
const generate = () => `generated-secret-value-${++n}-abcdefghijklmnop`;

const GOOD = { API_DOMAIN: 'api.koprogo.be', ACME_EMAIL: 'ops@koprogo.be' };
const PAIR = { TRAEFIK_DASHBOARD_AUTH: { user: 'admin', password: 'correct horse battery' } };
const found = async () => 'found' as const;

describe('the configuration form from the roadmap env example', () => {
  const form = buildConfigForm(ENV_VPS_EXAMPLE, null, { examplePath: '.env.vps.example', generate });
  const byKey = Object.fromEntries(form.fields.map((f) => [f.key, f]));

  it('has one field per key, in order, with kinds, groups, help and sources', () => {
    expect(form.fields.map((f) => `${f.key}:${f.kind}:${f.source}`)).toEqual([
      'API_DOMAIN:domain:empty',
      'ACME_EMAIL:email:empty',
      'POSTGRES_USER:text:example',
      'POSTGRES_PASSWORD:secret:generated',
      'POSTGRES_DB:text:example',
      'JWT_SECRET:secret:generated',
      'RUST_LOG:logLevel:example',
      'KOPROGO_VERSION:text:example',
      'TRAEFIK_DASHBOARD_AUTH:htpasswd:empty',
    ]);
    expect(byKey.API_DOMAIN).toMatchObject({ group: 'Domains', help: 'Public API domain (points at the VPS)', example: 'api.example.com', exampleIsPlaceholder: true });
    expect(byKey.POSTGRES_PASSWORD?.example).toBeNull();
    expect(byKey.RUST_LOG?.choices).toEqual(['trace', 'debug', 'info', 'warn', 'error']);
    expect(byKey.TRAEFIK_DASHBOARD_AUTH?.htpasswdUser).toBe('admin');
    expect(form.rerun).toBe(false);
  });

  it('refuses placeholders, a bad e-mail, an unknown domain and an empty htpasswd password, each on its key', async () => {
    const r = await renderConfig(form, { values: { API_DOMAIN: 'api.koprogo.invalid-tld-x.be', ACME_EMAIL: 'ops@', JWT_SECRET: 'CHANGE_THIS_SECRET' }, htpasswd: { TRAEFIK_DASHBOARD_AUTH: { user: 'admin', password: '' } } }, { lookupDomain: async () => 'not_found' });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.problems).toEqual([
      { key: 'ACME_EMAIL', problem: 'bad_email' },
      { key: 'JWT_SECRET', problem: 'placeholder' },
      { key: 'TRAEFIK_DASHBOARD_AUTH', problem: 'empty' },
      { key: 'API_DOMAIN', problem: 'domain_not_found' },
    ]);
    const short = await renderConfig(form, { values: { ...GOOD, POSTGRES_PASSWORD: 'short' }, htpasswd: PAIR }, { lookupDomain: found });
    expect(short).toEqual({ ok: false, problems: [{ key: 'POSTGRES_PASSWORD', problem: 'weak_secret' }] });
  });

  it('writes a .env that Compose v1 and v2 read back as the values entered, with the hash for htpasswd', async () => {
    const tricky = `pa$$word with 'quotes' and "double" # not a comment`;
    const r = await renderConfig(form, { values: { ...GOOD, POSTGRES_PASSWORD: tricky }, htpasswd: PAIR }, { lookupDomain: found });
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    for (const read of [readEnvAsComposeV2(r.text), readEnvAsComposeV1(r.text)]) {
      expect(read.errors).toEqual([]);
      expect(read.values.get('POSTGRES_PASSWORD')).toBe(tricky);
      expect(read.values.get('API_DOMAIN')).toBe('api.koprogo.be');
      expect(read.values.get('JWT_SECRET')).toBe(byKey.JWT_SECRET?.value);
      expect(read.values.get('RUST_LOG')).toBe('info');
      const auth = read.values.get('TRAEFIK_DASHBOARD_AUTH') ?? '';
      expect(auth.startsWith('admin:$apr1$')).toBe(true);
      expect(verifyApr1('correct horse battery', auth.slice('admin:'.length))).toBe(true);
    }
    expect(r.text).toContain('# === Database ===');
    expect(r.text).toContain('# Public API domain (points at the VPS)');
    expect(r.keys).toHaveLength(9);
  });
});

describe('a re-run: the saved .env merged with a newer example', () => {
  const saved = 'API_DOMAIN=api.koprogo.be\nACME_EMAIL=ops@koprogo.be\nPOSTGRES_USER=koprogo\nPOSTGRES_PASSWORD=kept-password-123456\nPOSTGRES_DB=koprogo_db\nJWT_SECRET=kept-jwt-secret-abcdef\nRUST_LOG=warn\nKOPROGO_VERSION=1.0.0\nTRAEFIK_DASHBOARD_AUTH=\'admin:$apr1$abcdefgh$0123456789abcdefghijkl\'\nOLD_FEATURE_FLAG=on\nLEGACY_TOKEN=legacy-secret-9999\n';
  const newer = `${ENV_VPS_EXAMPLE}# === Mail ===\nSMTP_PASSWORD=CHANGE_THIS\nDATABASE_URL=postgres://\${POSTGRES_USER}:\${POSTGRES_PASSWORD}@postgres:5432/\${POSTGRES_DB}\n`;
  const form = buildConfigForm(newer, saved, { generate });

  it('keeps values, asks added keys, lists removed ones', () => {
    expect(form.rerun).toBe(true);
    const byKey = Object.fromEntries(form.fields.map((f) => [f.key, f]));
    expect(byKey.POSTGRES_PASSWORD).toMatchObject({ value: 'kept-password-123456', source: 'saved', added: false });
    expect(byKey.RUST_LOG).toMatchObject({ value: 'warn', source: 'saved' });
    expect(byKey.SMTP_PASSWORD).toMatchObject({ source: 'generated', added: true });
    expect(byKey.DATABASE_URL).toMatchObject({ derived: true, added: true });
    expect(form.removed).toEqual(['OLD_FEATURE_FLAG', 'LEGACY_TOKEN']);
  });

  it('writes kept values, keeps removed keys unless dropped, and writes derived keys as the example has them', async () => {
    const r = await renderConfig(form, { values: {}, dropRemoved: ['LEGACY_TOKEN'] }, { savedText: saved, lookupDomain: found });
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    const v2 = readEnvAsComposeV2(r.text);
    expect(v2.values.get('JWT_SECRET')).toBe('kept-jwt-secret-abcdef');
    expect(v2.values.get('TRAEFIK_DASHBOARD_AUTH')).toBe('admin:$apr1$abcdefgh$0123456789abcdefghijkl');
    expect(v2.values.get('OLD_FEATURE_FLAG')).toBe('on');
    expect(v2.values.has('LEGACY_TOKEN')).toBe(false);
    expect(v2.values.get('DATABASE_URL')).toBe('postgres://koprogo:kept-password-123456@postgres:5432/koprogo_db');
    expect(r.text).toContain(`# === ${KEPT_GROUP} ===`);
  });

  it('a new htpasswd user without a password is refused', async () => {
    const r = await renderConfig(form, { values: {}, htpasswd: { TRAEFIK_DASHBOARD_AUTH: { user: 'root', password: '' } } }, { savedText: saved, lookupDomain: found });
    expect(r).toEqual({ ok: false, problems: [{ key: 'TRAEFIK_DASHBOARD_AUTH', problem: 'empty' }] });
  });
});

describe('values that are not secrets (issue 11)', () => {
  const example = `# GitHub repository of the images (owner/name)
GITHUB_REPOSITORY=your-username/koprogo
IMAGE_OWNER=YOUR_ORG
# MinIO access key name and its secret
S3_ACCESS_KEY=koprogo
S3_SECRET_KEY=CHANGE_THIS_SECRET
AWS_ACCESS_KEY_ID=
POSTGRES_PASSWORD=CHANGE_THIS_PASSWORD
`;
  const form = buildConfigForm(example, null, { generate, repository: { owner: 'Gilmry', name: 'KoproGo' } });
  const byKey = Object.fromEntries(form.fields.map((f) => [f.key, f]));

  it('an image path or owner placeholder is filled from the chosen repository (lower case), not made a random secret', () => {
    expect(byKey.GITHUB_REPOSITORY).toMatchObject({ kind: 'text', source: 'repository', value: 'gilmry/koprogo' });
    expect(byKey.IMAGE_OWNER).toMatchObject({ kind: 'text', source: 'repository', value: 'gilmry' });
  });

  it('an access-key name is plain text; its secret and the passwords are still generated', () => {
    expect(byKey.S3_ACCESS_KEY).toMatchObject({ kind: 'text', source: 'example', value: 'koprogo' });
    expect(byKey.AWS_ACCESS_KEY_ID).toMatchObject({ kind: 'text', source: 'empty' });
    expect(byKey.S3_SECRET_KEY).toMatchObject({ kind: 'secret', source: 'generated' });
    expect(byKey.POSTGRES_PASSWORD).toMatchObject({ kind: 'secret', source: 'generated' });
  });

  it('the filled values pass the checks and reach the .env; without a repository the user is asked', async () => {
    const r = await renderConfig(form, { values: { AWS_ACCESS_KEY_ID: 'AKIAEXAMPLEKEYID' } });
    expect(r.ok).toBe(true);
    if (r.ok) expect(r.text).toContain('GITHUB_REPOSITORY=gilmry/koprogo\n');
    const asked = buildConfigForm(example, null, { generate });
    expect(asked.fields.find((f) => f.key === 'GITHUB_REPOSITORY')).toMatchObject({ kind: 'text', source: 'empty', exampleIsPlaceholder: true });
  });
});
