import type { lifecycleMethods } from '../../shared/contract-lifecycle';
import type { ProfileInput } from '../../shared/profile';
import { buildDiagnosticsZip } from '../lifecycle/diagnostics';
import { exportProfile, readExport, TRANSFERRED_SECRETS } from '../lifecycle/transfer';
import { secretName } from './deploy-service';
import type { DomainHandlers, HandlerContext } from './handler-types';

/** Account-wide secrets (not a profile's): masked in diagnostics, never moved by an export. */
const ACCOUNT_SECRETS = ['provider.hetzner.token', 'provider.ovh.credentials', 'github.token'];

/** Handlers of the methods declared in contract-lifecycle.ts: auto-update, profile export/import, diagnostics. */
export function lifecycleHandlers(ctx: HandlerContext): DomainHandlers<typeof lifecycleMethods> {
  const { profiles, secrets, update, deps } = ctx;
  const profileSecrets = async (id: string) => {
    const out: Partial<Record<(typeof TRANSFERRED_SECRETS)[number], string>> = {};
    for (const name of TRANSFERRED_SECRETS) {
      const value = await secrets.get(secretName(id, name));
      if (value) out[name] = value;
    }
    return out;
  };
  return {
    'update.status': async () => update.get(),
    'update.check': async () => update.check(),
    'update.install': async () => update.install(),
    'profiles.export': async ({ id, passphrase }) => {
      const profile = await profiles.get(id);
      const held = passphrase === null ? {} : await profileSecrets(id);
      const content = await exportProfile(profile, held, { passphrase, appVersion: deps.appVersion });
      ctx.log.info(`profile ${id} exported (${passphrase === null ? 'without secrets' : `secrets sealed: ${Object.keys(held).join(', ') || 'none'}`})`);
      return { filename: `koprogo-deploy-${id}.json`, content, secrets: Object.keys(held) };
    },
    'profiles.import': async ({ content, passphrase }) => {
      const read = await readExport(content, passphrase);
      // A profile of that name already here is kept: the imported one gets a free name beside it.
      const taken = new Set((await profiles.list()).profiles.map((p) => p.id));
      let id = read.profile.id;
      for (let n = 2; taken.has(id); n++) id = `${read.profile.id.slice(0, 55)}-${n}`;
      const input: ProfileInput = { ...read.profile, id, name: id === read.profile.id ? read.profile.name : `${read.profile.name} (${id})`.slice(0, 120) };
      const saved = await profiles.save(input);
      for (const [name, value] of Object.entries(read.secrets)) {
        await secrets.set(secretName(id, name), value);
        ctx.log.registerSecret(value);
      }
      deps.emit('profiles.changed', { ids: [saved.id] });
      ctx.log.info(`profile ${id} imported (${Object.keys(read.secrets).length} secrets restored${read.sealed ? ', sealed without passphrase' : ''})`);
      return { profile: { id: saved.id, name: saved.name, phase: saved.phase, updatedAt: saved.updatedAt, host: saved.server?.host ?? null }, restored: Object.keys(read.secrets), sealed: read.sealed };
    },
    'diagnostics.export': async () => {
      const list = (await profiles.list()).profiles;
      const all = await Promise.all(list.map((p) => profiles.get(p.id).catch(() => null)));
      const values: string[] = [];
      for (const p of list) values.push(...Object.values(await profileSecrets(p.id)));
      for (const name of ACCOUNT_SECRETS) {
        const v = await secrets.get(name);
        if (!v) continue;
        values.push(v);
        // Stored as JSON (OVH): each field is a secret on its own.
        try {
          for (const field of Object.values(JSON.parse(v) as Record<string, unknown>)) if (typeof field === 'string') values.push(field);
        } catch {
          /* a plain token */
        }
      }
      const r = await buildDiagnosticsZip({
        app: { name: deps.appName, version: deps.appVersion, frontDoor: deps.frontDoor, secretsPersist: secrets.persistent },
        dataDir: deps.dataDir,
        profiles: all.filter((p): p is NonNullable<typeof p> => p !== null),
        secretValues: values,
        redact: (t) => ctx.log.redact(t),
      });
      ctx.log.info(`diagnostics exported (${r.files.length} files, ${r.zip.byteLength} bytes)`);
      return { filename: r.filename, zip: Buffer.from(r.zip).toString('base64'), files: r.files, bytes: r.zip.byteLength };
    },
  };
}
