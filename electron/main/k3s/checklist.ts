import type { Checklist, Topology } from '../../shared/contract-k3s';
import { AppError } from '../../shared/errors';
import type { CloudProject, Quota } from '../providers/ovh/schemas';
import { checkDomains } from '../recipe/dns-check';

// What must exist before a production cluster (phase 4) is created, checked where an API allows it: the domain
// (it exists in DNS), access to its DNS (the zone is in this OVH account: the app's access may read it), the OVH
// Public Cloud project (there, and in service), and the project's quotas (a region with room for the topology's
// instances, cores and memory). What the API cannot answer is said so and left for the user to confirm.

export interface OvhReader {
  listCloudProjects(): Promise<CloudProject[]>;
  projectQuotas(project: string): Promise<Quota[]>;
  listDnsZones(): Promise<string[]>;
}

type Item = Checklist['items'][number];

const notGranted = (e: unknown) => e instanceof AppError && (e.code === 'ovh.not_granted' || e.code === 'ovh.invalid_credentials' || e.code === 'ovh.credential_pending');

/** The zone of `domain` among the account's zones (the longest that contains it). */
export function zoneOf(domain: string, zones: readonly string[]): string | null {
  const d = domain.toLowerCase().replace(/\.$/, '');
  return [...zones].map((z) => z.toLowerCase()).filter((z) => d === z || d.endsWith(`.${z}`)).sort((a, b) => b.length - a.length)[0] ?? null;
}

/** The region with the most room, and whether it has enough for the topology. */
export function quotaFit(quotas: readonly Quota[], need: Topology['totals']): { region: string; fits: boolean; cores: number; ramGb: number; instances: number } | null {
  const rooms = quotas
    .filter((q) => q.instance)
    .map((q) => {
      const i = q.instance!;
      const room = { region: q.region, cores: i.maxCores - i.usedCores, ramGb: Math.floor((i.maxRam - i.usedRAM) / 1024), instances: i.maxInstances - i.usedInstances };
      return { ...room, fits: room.cores >= need.vcpu && room.ramGb >= need.ramGb && room.instances >= need.instances };
    })
    .sort((a, b) => Number(b.fits) - Number(a.fits) || b.cores - a.cores);
  return rooms[0] ?? null;
}

export async function runChecklist(opts: { domain: string | null; topology: Topology; ovh: OvhReader | null; dnsServers?: readonly string[]; now?: () => number }): Promise<Checklist> {
  const items: Item[] = [];
  const { domain, topology, ovh } = opts;

  // Domain
  if (!domain) items.push({ id: 'domain', state: 'failed', detail: { code: 'k3s.checklist.domain_missing', params: {} }, confirmable: false });
  else {
    const [r] = await checkDomains([domain], null, { servers: opts.dnsServers });
    const state = r?.state ?? 'error';
    if (state === 'not_found') items.push({ id: 'domain', state: 'failed', detail: { code: 'k3s.checklist.domain_not_found', params: { domain } }, confirmable: false });
    else if (state === 'error') items.push({ id: 'domain', state: 'unknown', detail: { code: 'k3s.checklist.domain_unchecked', params: { domain } }, confirmable: true });
    else items.push({ id: 'domain', state: 'ok', detail: { code: 'k3s.checklist.domain_ok', params: { domain } }, confirmable: false });
  }

  // DNS access
  if (!ovh) items.push({ id: 'dns', state: 'unknown', detail: { code: 'k3s.checklist.dns_no_ovh', params: { domain: domain ?? '' } }, confirmable: true });
  else if (domain) {
    try {
      const zone = zoneOf(domain, await ovh.listDnsZones());
      items.push(
        zone
          ? { id: 'dns', state: 'ok', detail: { code: 'k3s.checklist.dns_ovh', params: { zone } }, confirmable: false }
          : { id: 'dns', state: 'warning', detail: { code: 'k3s.checklist.dns_elsewhere', params: { domain } }, confirmable: true },
      );
    } catch (e) {
      items.push({ id: 'dns', state: 'unknown', detail: { code: notGranted(e) ? 'k3s.checklist.dns_not_granted' : 'k3s.checklist.dns_unchecked', params: { domain } }, confirmable: true });
    }
  } else items.push({ id: 'dns', state: 'unknown', detail: { code: 'k3s.checklist.dns_needs_domain', params: {} }, confirmable: false });

  // Project and quotas
  if (!ovh) {
    items.push({ id: 'project', state: 'failed', detail: { code: 'k3s.checklist.project_no_ovh', params: {} }, confirmable: false });
    items.push({ id: 'quota', state: 'unknown', detail: { code: 'k3s.checklist.quota_no_ovh', params: {} }, confirmable: true });
  } else {
    let projects: CloudProject[] = [];
    let projectError: unknown = null;
    try {
      projects = await ovh.listCloudProjects();
    } catch (e) {
      projectError = e;
    }
    const project = projects.find((p) => p.status === 'ok') ?? projects[0] ?? null;
    if (projectError) items.push({ id: 'project', state: 'unknown', detail: { code: 'k3s.checklist.project_unchecked', params: {} }, confirmable: true });
    else if (!project) items.push({ id: 'project', state: 'failed', detail: { code: 'k3s.checklist.project_missing', params: {} }, confirmable: false });
    else if (project.status !== 'ok') items.push({ id: 'project', state: 'failed', detail: { code: 'k3s.checklist.project_status', params: { project: project.description ?? project.project_id, status: project.status } }, confirmable: false });
    else items.push({ id: 'project', state: 'ok', detail: { code: 'k3s.checklist.project_ok', params: { project: project.description ?? project.project_id } }, confirmable: false });

    const need = topology.totals;
    if (!project || project.status !== 'ok') items.push({ id: 'quota', state: 'unknown', detail: { code: 'k3s.checklist.quota_needs_project', params: {} }, confirmable: false });
    else {
      try {
        const fit = quotaFit(await ovh.projectQuotas(project.project_id), need);
        if (!fit) items.push({ id: 'quota', state: 'unknown', detail: { code: 'k3s.checklist.quota_unchecked', params: {} }, confirmable: true });
        else
          items.push({
            id: 'quota',
            state: fit.fits ? 'ok' : 'failed',
            detail: { code: fit.fits ? 'k3s.checklist.quota_ok' : 'k3s.checklist.quota_short', params: { region: fit.region, cores: fit.cores, ramGb: fit.ramGb, instances: fit.instances, needCores: need.vcpu, needRamGb: need.ramGb, needInstances: need.instances } },
            confirmable: false,
          });
      } catch (e) {
        items.push({ id: 'quota', state: 'unknown', detail: { code: notGranted(e) ? 'k3s.checklist.quota_not_granted' : 'k3s.checklist.quota_unchecked', params: {} }, confirmable: true });
      }
    }
  }
  const ready = items.every((i) => i.state === 'ok' || i.confirmable);
  return { items, checkedAt: (opts.now ?? Date.now)(), ready };
}
