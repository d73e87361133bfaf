import { buildCloudInit } from '../electron/main/providers/hetzner/cloud-init';
import { HetznerProvider } from '../electron/main/providers/hetzner/provider';
import { generateEd25519 } from '../electron/main/ssh/keys';
import { createVirtualClock, startHetznerFake } from '../electron/main/testing/hetzner-fake';
import type { Bench } from './lib/bench';

// HTTP requests the app sends to create one server (catalogue check, SSH key, firewall, image,
// look-up, create, and every poll until it runs) against the local fake of the Hetzner Cloud API,
// with actions that take 90 s. The clock is virtual: the client's waits and the fake's action
// progress share it, so the bench is instant and exact. Issue 5: polling backs off, at most 30.
const CREATE_SECONDS = 90;

const bench: Bench = {
  description: `Hetzner API requests per server creation (a ${CREATE_SECONDS} s create, polls included)`,
  async run(log) {
    const clock = createVirtualClock();
    const fake = await startHetznerFake({ actionDurationMs: CREATE_SECONDS * 1000, now: clock.now });
    try {
      const provider = new HetznerProvider({ token: fake.token, baseUrl: fake.url, now: clock.now, sleep: clock.sleep, random: () => 0.5 });
      const user = generateEd25519('bench');
      const host = generateEd25519('bench-host');
      const started = clock.now();
      const server = await provider.create({
        profileId: 'bench',
        name: 'koprogo-bench',
        offerId: 'hetzner:cx22@fsn1',
        publicKey: user.publicKey,
        userData: buildCloudInit(host).userData,
      });
      const elapsed = (clock.now() - started) / 1000;
      const byPath = new Map<string, number>();
      for (const r of fake.state.requests) {
        const key = `${r.method} ${r.path.replace(/\/\d+/g, '/{id}')}`;
        byPath.set(key, (byPath.get(key) ?? 0) + 1);
      }
      for (const [key, n] of [...byPath.entries()].sort((a, b) => b[1] - a[1])) log(`${String(n).padStart(3)}  ${key}`);
      const polls = fake.state.requests.filter((r) => r.method === 'GET' && /^\/(actions|servers)\/\d+$/.test(r.path)).length;
      const requests = fake.state.requests.length;
      log(`server ${server.name} ${server.outcome}, running after ${elapsed.toFixed(1)} s of fake time`);
      log(`polls: ${polls}; requests in all: ${requests} (target: at most 30)`);
      if (server.outcome !== 'created') throw new Error(`expected a new server, got ${server.outcome}`);
      return { value: requests, decimals: 0 };
    } finally {
      await fake.stop();
    }
  },
};
export default bench;
