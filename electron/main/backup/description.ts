import { z } from 'zod';
import type { ComposeDeploySettings, RemoteFile } from '../engine/types';

// A short description of the deployment that the app leaves in its state folder on the server whenever
// it backs it up or upgrades it: where everything is (the layout, the Compose project and files, the
// database service), so the app on another computer recognises all of it from the server alone.
// Nothing secret: paths and names only.

export const DESCRIPTION_FILE = 'deployment.json';

const absPath = z.string().regex(/^\/[A-Za-z0-9._/-]{0,199}$/);
const name = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/);

export const descriptionSchema = z.object({
  version: z.literal(1),
  profileId: z.string().max(80),
  phase: z.number().int().min(1).max(4),
  layout: z.object({ stateDir: absPath, appRoot: absPath, cronDir: absPath, aptConfDir: absPath, fail2banDir: absPath, backupDir: absPath, binDir: absPath, hostsFile: absPath }),
  checkoutName: name,
  composeProject: name,
  composeFiles: z.array(z.string().max(200)).max(10),
  envFile: z.string().max(200),
  deployUser: z.string().regex(/^[a-z_][a-z0-9_-]{0,31}$/),
  postgres: z.object({ service: z.string().max(64), user: z.string().max(64), database: z.string().max(64) }).nullable(),
});
export type Description = z.infer<typeof descriptionSchema>;

export function describe(profileId: string, settings: ComposeDeploySettings): Description {
  return {
    version: 1,
    profileId,
    phase: settings.phase,
    layout: { ...settings.layout },
    checkoutName: settings.checkoutName,
    composeProject: settings.composeProject,
    composeFiles: [...settings.composeFiles],
    envFile: settings.envFile,
    deployUser: settings.deployUser,
    postgres: settings.postgres ? { ...settings.postgres } : null,
  };
}

export function descriptionFile(profileId: string, settings: ComposeDeploySettings): RemoteFile {
  return { path: `${settings.layout.stateDir.replace(/\/+$/, '')}/${DESCRIPTION_FILE}`, content: `${JSON.stringify(describe(profileId, settings), null, 2)}\n`, mode: 0o600, owner: 'root', group: 'root', secret: false };
}

export function parseDescription(text: string | null): Description | null {
  if (!text) return null;
  try {
    const r = descriptionSchema.safeParse(JSON.parse(text));
    return r.success ? r.data : null;
  } catch {
    return null;
  }
}
