import { describe, expect, it } from 'vitest';
import { upgradeTestOverridesFromEnv } from './upgrade-test-env';

describe('the phase 2 → 3 test overrides of web mode', () => {
  it('takes loopback resolvers, and the propagation wait with them', () => {
    expect(upgradeTestOverridesFromEnv({})).toEqual({});
    expect(upgradeTestOverridesFromEnv({ KOPROGO_DNS_RESOLVERS: '127.0.0.1:5301, 127.0.0.1:5302', KOPROGO_DNS_PROPAGATION_MS: '8000,250' })).toEqual({
      upgrade: { toK3s: { resolvers: ['127.0.0.1:5301', '127.0.0.1:5302'], propagation: { timeoutMs: 8000, pollMs: 250 } } },
    });
    expect(upgradeTestOverridesFromEnv({ KOPROGO_DNS_RESOLVERS: '127.0.0.1:5301' })).toEqual({ upgrade: { toK3s: { resolvers: ['127.0.0.1:5301'] } } });
  });

  it('ignores public resolvers, a wait without loopback resolvers, and junk waits', () => {
    expect(upgradeTestOverridesFromEnv({ KOPROGO_DNS_RESOLVERS: '1.1.1.1:53', KOPROGO_DNS_PROPAGATION_MS: '8000,250' })).toEqual({});
    expect(upgradeTestOverridesFromEnv({ KOPROGO_DNS_RESOLVERS: '127.0.0.1:5301,dns.example:53' })).toEqual({});
    expect(upgradeTestOverridesFromEnv({ KOPROGO_DNS_PROPAGATION_MS: '8000,250' })).toEqual({});
    for (const junk of ['8000', 'soon,250', '10,250', '8000,250,1', '-1,250'])
      expect(upgradeTestOverridesFromEnv({ KOPROGO_DNS_RESOLVERS: '127.0.0.1:5301', KOPROGO_DNS_PROPAGATION_MS: junk })).toEqual({ upgrade: { toK3s: { resolvers: ['127.0.0.1:5301'] } } });
  });
});
