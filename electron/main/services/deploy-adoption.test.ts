import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { readEnvAsComposeV2 } from '../recipe/env-file';
import { adoptionProbeScript, mergeAdoptedEnv, parseAdoptionProbe } from './deploy-adoption';

describe('adoption', () => {
  it('the probe parses as sh and reads containers, volumes and the .env it found', () => {
    expect(spawnSync('sh', ['-n'], { input: adoptionProbeScript(["koprogo-postgres", "it's odd"], 'ours') }).status).toBe(0);
    const found = parseAdoptionProbe('container|koprogo-postgres|production|/home/debian/koprogo/deploy/production\ncontainer|koprogo-backend|production|/home/debian/koprogo/deploy/production\nvolume|production_postgres_data\nenv|/home/debian/koprogo/deploy/production/.env\n');
    expect(found).toEqual({
      project: 'production',
      containers: ['koprogo-postgres', 'koprogo-backend'],
      workingDir: '/home/debian/koprogo/deploy/production',
      envFound: true,
      volumes: ['production_postgres_data'],
      envPath: '/home/debian/koprogo/deploy/production/.env',
    });
    expect(parseAdoptionProbe('')).toBeNull();
    expect(parseAdoptionProbe('container|$(rm -rf /)|x|y\n')).toBeNull();
  });

  it('their values win (the database password stays), ours are kept, theirs only are added', () => {
    const merged = mergeAdoptedEnv('API_DOMAIN=api.new.test\nPOSTGRES_PASSWORD=generated-new\nJWT_SECRET=ours\n', 'POSTGRES_PASSWORD=their-old-password\nLEGACY_FLAG=1\n');
    expect(Object.fromEntries(readEnvAsComposeV2(merged).values)).toEqual({ API_DOMAIN: 'api.new.test', POSTGRES_PASSWORD: 'their-old-password', JWT_SECRET: 'ours', LEGACY_FLAG: '1' });
    expect(mergeAdoptedEnv(null, 'A=1\n')).toBe('A=1\n');
  });
});
