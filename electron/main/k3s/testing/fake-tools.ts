// Fake `terraform`, `ansible-playbook`, `helm`, `kubectl` and `kustomize` for the K3s tests: shell scripts (in
// ./fakes) that print what the real tools print — version outputs, Terraform's plan summary and its approval
// prompt verbatim, long coloured output, a failure mode — and log each call (arguments, which OVH variables are
// set, never their values). Settings go in a file the scripts source (also readable by the SSH test user), so
// the same fakes serve this computer, a control host, and downloads from the local tool server below.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { K3sTool } from '../../../shared/k3s-entry';
import type { ToolSource } from '../control-host';

export const FAKE_TOOLS = ['terraform', 'ansible-playbook', 'helm', 'kubectl', 'kustomize'] as const satisfies readonly K3sTool[];

export interface FakeToolSettings {
  /** A kubeconfig handed out by `ansible-playbook -e kubeconfig_dest=…` and `terraform output -raw kubeconfig`. */
  kubeconfig?: string;
  /** Makes one tool (or one Terraform subcommand) fail like the real one does. */
  fail?: 'init' | 'plan' | 'apply' | 'ansible' | 'helm';
  /** Resources in the Terraform plan (default 3). */
  resources?: number;
  /** More "Still creating..." lines per resource (long coloured output). */
  extraLines?: number;
  /** Seconds to sleep per resource / task (a run that lasts, to look at `ps` or cut a connection). */
  slow?: number;
  /** Terraform prints the OVH secret, split over two writes (a leaky debug log). */
  echoSecrets?: boolean;
  /** `terraform plan` asks for this variable when TF_VAR_<name> is unset (an unknown prompt). */
  askVariable?: string;
}

export interface FakeTools {
  dir: string;
  /** Put first on PATH. */
  bin: string;
  configFile: string;
  callsFile: string;
  configure(settings: FakeToolSettings): Promise<void>;
  /** Every call logged so far, in order. */
  calls(): Promise<string[]>;
  /** The content of one fake (what the tool server hands out). */
  script(tool: K3sTool): string;
  stop(): Promise<void>;
}

const fakeSource = (name: string): string => readFileSync(new URL(`./fakes/${name}.sh`, import.meta.url), 'utf8');

export async function createFakeTools(settings: FakeToolSettings = {}): Promise<FakeTools> {
  const dir = await mkdtemp(join(tmpdir(), 'kgt-k3s-tools-'));
  const bin = join(dir, 'bin');
  const configFile = join(dir, 'fake.env');
  const callsFile = join(dir, 'calls.log');
  await mkdir(bin);
  const fill = (text: string) => text.split('@@DIR@@').join(dir).split('@@CONFIG@@').join(configFile);
  await writeFile(join(dir, 'common.sh'), fill(fakeSource('common')), { mode: 0o644 });
  const scripts = new Map<string, string>();
  for (const tool of FAKE_TOOLS) {
    const text = fill(fakeSource(tool));
    scripts.set(tool, text);
    await writeFile(join(bin, tool), text, { mode: 0o755 });
  }
  await writeFile(callsFile, '', { mode: 0o666 });
  await chmod(callsFile, 0o666);
  const configure = async (s: FakeToolSettings): Promise<void> => {
    const line = (k: string, v: string | number | boolean | undefined) => (v === undefined || v === false ? '' : `export ${k}='${String(v === true ? 1 : v).replace(/'/g, `'\\''`)}'\n`);
    await writeFile(
      configFile,
      line('FAKE_CALLS', callsFile) +
        line('FAKE_KUBECONFIG', s.kubeconfig) +
        line('FAKE_FAIL', s.fail) +
        line('FAKE_RESOURCES', s.resources) +
        line('FAKE_EXTRA_LINES', s.extraLines) +
        line('FAKE_SLOW', s.slow) +
        line('FAKE_ECHO_SECRETS', s.echoSecrets) +
        line('FAKE_ASK_VARIABLE', s.askVariable),
      { mode: 0o644 },
    );
  };
  await configure(settings);
  // Readable (and the call log writable) by the SSH test user.
  await chmod(dir, 0o755);
  return {
    dir,
    bin,
    configFile,
    callsFile,
    configure,
    calls: async () => (await readFile(callsFile, 'utf8')).split('\n').filter(Boolean),
    script: (tool) => {
      const s = scripts.get(tool);
      if (!s) throw new Error(`no fake ${tool}`);
      return s;
    },
    stop: () => rm(dir, { recursive: true, force: true }),
  };
}

export interface ToolServer {
  url: string;
  /** Where a control host downloads each fake (binary files with their SHA-256 files). */
  sources: Partial<Record<K3sTool, ToolSource>>;
  /** Requests served, by path. */
  readonly requests: string[];
  /** Serves a wrong checksum for this tool from now on (a tampered download). */
  tamper(tool: K3sTool): void;
  close(): Promise<void>;
}

/** A local download server for the fakes, in the shape of the vendors' (a file and its SHA-256 file). */
export async function startToolServer(tools: FakeTools): Promise<ToolServer> {
  const tampered = new Set<string>();
  const requests: string[] = [];
  const server: Server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    requests.push(path);
    const m = /^\/([\w-]+)\/([\d.]+)\/(sums|file)$/.exec(path);
    const tool = m?.[1] as K3sTool | undefined;
    if (!m || !tool || !(FAKE_TOOLS as readonly string[]).includes(tool)) {
      res.writeHead(404).end('not found');
      return;
    }
    const body = tools.script(tool);
    if (m[3] === 'file') {
      res.writeHead(200, { 'content-type': 'application/octet-stream' }).end(body);
      return;
    }
    const sum = createHash('sha256').update(tampered.has(tool) ? `${body}#` : body).digest('hex');
    res.writeHead(200, { 'content-type': 'text/plain' }).end(`${sum}  ${tool}\n`);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const address = server.address();
  const url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  const sources: Partial<Record<K3sTool, ToolSource>> = {};
  for (const tool of FAKE_TOOLS) sources[tool] = { kind: 'binary', url: `${url}/${tool}/{version}/file`, sums: `${url}/${tool}/{version}/sums`, file: tool, member: tool };
  return {
    url,
    sources,
    requests,
    tamper: (tool) => void tampered.add(tool),
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
