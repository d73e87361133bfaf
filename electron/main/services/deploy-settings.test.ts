import { describe, expect, it } from 'vitest';
import type { Profile } from '../../shared/profile';
import { composeSettingsFrom } from './deploy-settings';

const profile = (settings: Record<string, string>): Profile => ({
  version: 1,
  id: 'tz',
  name: 'TZ',
  phase: 1,
  provider: { kind: 'existing' },
  server: { host: '203.0.113.10', port: 22, user: 'root', hostKeySha256: 'SHA256:x' },
  repo: { url: 'https://github.com/acme/koprogo', ref: 'v1.0.0' },
  settings,
  secrets: {},
  createdAt: '2026-01-01T00:00:00.000Z',
  updatedAt: '2026-01-01T00:00:00.000Z',
});

describe('deployment settings', () => {
  it('takes a time zone of the IANA list only (the shape alone is not enough)', () => {
    expect(composeSettingsFrom(profile({ timezone: 'Europe/Brussels' }), { envContent: 'x', publicKey: 'x' }).timezone).toBe('Europe/Brussels');
    expect(composeSettingsFrom(profile({ timezone: 'UTC' }), { envContent: 'x', publicKey: 'x' }).timezone).toBe('UTC');
    expect(() => composeSettingsFrom(profile({ timezone: 'Europe/Bruxelles' }), { envContent: 'x', publicKey: 'x' })).toThrow(expect.objectContaining({ code: 'deploy.not_ready', params: { missing: 'timezone' } }));
  });
});
