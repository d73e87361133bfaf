// A local authoritative DNS server over UDP on 127.0.0.1 for tests: answers A/AAAA from a table (TTL 60 s unless set), NXDOMAIN for
// names it does not know, NOERROR with no answers for names listed without addresses. Silent (`silent: true`
// or `setSilent(true)`), it receives queries and answers none: a computer whose DNS is unreachable (offline). Packets are encoded and
// decoded with dns-packet. Tests point a node:dns Resolver at it (`setServers(['127.0.0.1:<port>'])`).
import { createSocket } from 'node:dgram';
import dnsPacket from 'dns-packet';

export interface DnsRecords {
  [name: string]: { a?: string[]; aaaa?: string[]; ttl?: number };
}

export interface DnsServer {
  /** `127.0.0.1:<port>`, for `Resolver.setServers`. */
  address: string;
  port: number;
  set(name: string, records: { a?: string[]; aaaa?: string[]; ttl?: number }): void;
  /** Stops (or resumes) answering: queries are read and dropped, as when no DNS server is reachable. */
  setSilent(silent: boolean): void;
  readonly queries: number;
  close(): Promise<void>;
}

export async function startDnsServer(initial: DnsRecords = {}, opts: { silent?: boolean } = {}): Promise<DnsServer> {
  const table = new Map(Object.entries(initial).map(([k, v]) => [k.toLowerCase().replace(/\.$/, ''), v]));
  const socket = createSocket('udp4');
  let queries = 0;
  let silent = opts.silent ?? false;
  socket.on('message', (msg, rinfo) => {
    let query: dnsPacket.Packet;
    try {
      query = dnsPacket.decode(msg);
    } catch {
      return;
    }
    queries += 1;
    if (silent) return;
    const q = query.questions?.[0];
    const name = (q?.name ?? '').toLowerCase().replace(/\.$/, '');
    const entry = table.get(name);
    const answers: dnsPacket.Answer[] = [];
    if (entry && q?.type === 'A') for (const ip of entry.a ?? []) answers.push({ type: 'A', name: q.name, ttl: entry.ttl ?? 60, class: 'IN', data: ip });
    if (entry && q?.type === 'AAAA') for (const ip of entry.aaaa ?? []) answers.push({ type: 'AAAA', name: q.name, ttl: entry.ttl ?? 60, class: 'IN', data: ip });
    const reply = dnsPacket.encode({
      id: query.id,
      type: 'response',
      // Authoritative answer, recursion available; RCODE 3 (NXDOMAIN) for unknown names.
      flags: dnsPacket.AUTHORITATIVE_ANSWER | dnsPacket.RECURSION_AVAILABLE | (entry ? 0 : 3),
      questions: query.questions ?? [],
      answers,
    });
    socket.send(reply, rinfo.port, rinfo.address);
  });
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(0, '127.0.0.1', () => resolve());
  });
  const port = socket.address().port;
  return {
    address: `127.0.0.1:${port}`,
    port,
    set(name, records) {
      table.set(name.toLowerCase().replace(/\.$/, ''), records);
    },
    setSilent(value) {
      silent = value;
    },
    get queries() {
      return queries;
    },
    close: () => new Promise<void>((resolve) => socket.close(() => resolve())),
  };
}
