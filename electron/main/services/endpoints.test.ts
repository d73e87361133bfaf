import { describe, expect, it } from 'vitest';
import { endpointsFromEnv } from './endpoints';

describe('endpoints from the environment', () => {
  it('takes https URLs, plain HTTP only on 127.0.0.1, a client id and DNS servers', () => {
    expect(endpointsFromEnv({})).toEqual({});
    expect(endpointsFromEnv({ KOPROGO_GITHUB_API_URL: 'http://127.0.0.1:4000/', KOPROGO_GITHUB_WEB_URL: 'https://ghe.example.be', KOPROGO_GITHUB_CLIENT_ID: 'Ov23abc', KOPROGO_DNS_SERVERS: '127.0.0.1:5353, [::1]:53' })).toEqual({
      github: { apiBaseUrl: 'http://127.0.0.1:4000', webBaseUrl: 'https://ghe.example.be', clientId: 'Ov23abc' },
      dnsServers: ['127.0.0.1:5353', '[::1]:53'],
    });
  });

  it('refuses plain HTTP elsewhere, junk URLs, odd client ids and DNS names', () => {
    expect(endpointsFromEnv({ KOPROGO_GITHUB_API_URL: 'http://evil.example', KOPROGO_GITHUB_WEB_URL: 'not a url', KOPROGO_GITHUB_CLIENT_ID: 'a b', KOPROGO_DNS_SERVERS: 'dns.example:53' })).toEqual({});
  });
});
