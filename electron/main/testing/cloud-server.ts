// What cloud-init does on a server the app creates, done on this machine: when a fake provider
// (Hetzner or OVH) reports a new server running, a real sshd starts for it on the loopback address
// the fake gave it, serving the host key from the server's user data (the app-generated one) and
// letting root in with the SSH keys the app uploaded to the provider. Tests then meet "the created
// server" over real SSH, with the pin the app computed. For tests, the e2e spec and benches only.
import { spawn, type ChildProcess } from 'node:child_process';
import { chmod, mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { parseCloudInit } from '../providers/hetzner/cloud-init';
import { guardCleanup, KILL_MATCHING_SH } from './cleanup';
import type { HetznerFake } from './hetzner-fake';
import type { OvhFake } from './ovh-fake';
import { requireFiles, requireRoot, shq, sleep } from './proc';

const SSHD = '/usr/sbin/sshd';

// The part of cloud-init's cc_ssh module the app uses (see providers/hetzner/cloud-init.ts).
const cloudConfig = z.object({
  ssh_deletekeys: z.literal(true),
  ssh_keys: z.object({ ed25519_private: z.string(), ed25519_public: z.string() }),
  disable_root: z.literal(false).optional(),
});

export interface CloudServerHandle {
  host: string;
  port: number;
  logs(): string;
  stop(): Promise<void>;
}

/** One "booted" server: sshd on host:port with the user data's host key; root logs in with `authorizedKeys`. */
export async function startCloudServer(opts: { userData: string; authorizedKeys: string[]; host: string; port: number }): Promise<CloudServerHandle> {
  requireRoot('startCloudServer');
  requireFiles({ 'openssh-server': SSHD });
  const config = cloudConfig.parse(parseCloudInit(opts.userData));
  const dir = await mkdtemp(join(tmpdir(), 'kgt-cloud-'));
  const guard = guardCleanup(`cloud server ${opts.host}`, { script: `${KILL_MATCHING_SH}\nkill_matching KILL ${shq(dir + '/')} sshd\nrm -rf ${shq(dir)}\n` });
  const hostKeyPath = join(dir, 'ssh_host_ed25519_key');
  await writeFile(hostKeyPath, config.ssh_keys.ed25519_private, { mode: 0o600 });
  await chmod(hostKeyPath, 0o600);
  await writeFile(join(dir, 'authorized_keys'), opts.authorizedKeys.map((k) => k.trim()).join('\n') + '\n', { mode: 0o644 });
  await mkdir('/run/sshd', { recursive: true, mode: 0o755 });
  const configPath = join(dir, 'sshd_config');
  await writeFile(
    configPath,
    [
      `Port ${opts.port}`,
      `ListenAddress ${opts.host}`,
      `HostKey ${hostKeyPath}`,
      `PidFile ${join(dir, 'sshd.pid')}`,
      `AuthorizedKeysFile ${join(dir, 'authorized_keys')}`,
      'PubkeyAuthentication yes',
      'PasswordAuthentication no',
      'KbdInteractiveAuthentication no',
      'UsePAM no',
      'StrictModes no',
      // Hetzner's images let root in; on OVH, cloud-init does so when the user data says disable_root: false.
      'PermitRootLogin prohibit-password',
      'Subsystem sftp internal-sftp',
      'LogLevel VERBOSE',
      'PrintMotd no',
      '',
    ].join('\n'),
  );
  const lines: string[] = [];
  const child: ChildProcess = spawn(SSHD, ['-D', '-e', '-f', configPath], { stdio: ['ignore', 'ignore', 'pipe'] });
  child.stderr?.on('data', (b: Buffer) => lines.push(...b.toString().split('\n').filter(Boolean)));
  const deadline = Date.now() + 10_000;
  while (!(await listening(opts.host, opts.port))) {
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill('SIGKILL');
      await guard.run();
      throw new Error(`cloud server sshd did not start on ${opts.host}:${opts.port}:\n${lines.join('\n')}`);
    }
    await sleep(30);
  }
  return {
    host: opts.host,
    port: opts.port,
    logs: () => lines.join('\n'),
    stop: async () => {
      child.kill('SIGKILL');
      await guard.run();
    },
  };
}

function listening(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ host, port }, () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

/** A server as a fake provider sees it: ready once running, with its user data and authorized keys. */
interface Machine {
  id: string;
  ready: boolean;
  host: string;
  userData: string | null;
  authorizedKeys: string[];
}

export function hetznerMachines(fake: HetznerFake): () => Machine[] {
  return () =>
    fake.state.servers.map((s) => ({
      id: `hetzner-${s.id}`,
      ready: s.status === 'running',
      host: s.ipv4,
      userData: s.user_data,
      authorizedKeys: fake.state.ssh_keys.filter((k) => s.ssh_keys.includes(k.id)).map((k) => k.public_key),
    }));
}

export function ovhMachines(fake: OvhFake): () => Machine[] {
  return () =>
    fake.state.projects.flatMap((p) =>
      p.instances.map((i) => ({
        id: `ovh-${i.id}`,
        ready: i.status === 'ACTIVE',
        host: i.ipv4,
        userData: i.userData,
        authorizedKeys: p.sshKeys.filter((k) => k.id === i.sshKeyId).map((k) => k.publicKey),
      })),
    );
}

export interface CloudBooter {
  /** Servers booted so far, by id. */
  readonly booted: Map<string, CloudServerHandle>;
  stop(): Promise<void>;
}

/**
 * Watches fakes and boots each new running server (its sshd on its loopback address and `port`).
 * Fakes must hand out loopback addresses (`publicIpv4` options), e.g. 127.0.0.<n>.
 */
export function bootCreatedServers(sources: (() => Machine[])[], port: number): CloudBooter {
  const booted = new Map<string, CloudServerHandle>();
  const starting = new Set<string>();
  let stopped = false;
  const errors: unknown[] = [];
  const timer = setInterval(() => {
    for (const m of sources.flatMap((s) => s())) {
      if (stopped || !m.ready || !m.userData || booted.has(m.id) || starting.has(m.id)) continue;
      starting.add(m.id);
      startCloudServer({ userData: m.userData, authorizedKeys: m.authorizedKeys, host: m.host, port })
        .then((h) => (stopped ? h.stop() : void booted.set(m.id, h)))
        .catch((e: unknown) => errors.push(e))
        .finally(() => starting.delete(m.id));
    }
  }, 100);
  return {
    booted,
    async stop() {
      stopped = true;
      clearInterval(timer);
      while (starting.size > 0) await sleep(20);
      await Promise.all([...booted.values()].map((h) => h.stop()));
      if (errors.length > 0) throw errors[0];
    },
  };
}
