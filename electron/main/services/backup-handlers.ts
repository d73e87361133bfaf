import type { backupMethods } from '../../shared/contract-backup';
import type { DomainHandlers, HandlerContext } from './handler-types';

/** Handlers of the methods declared in contract-backup.ts: proven backups, restore, snapshots, the daily job. */
export function backupHandlers(ctx: HandlerContext): DomainHandlers<typeof backupMethods> {
  const { backups, deploy } = ctx;
  // The .env values and keys are masked in anything the backup logs.
  const prepared = async (profileId: string) => deploy.registerProfileSecrets(profileId);
  return {
    'backup.list': async ({ profileId }) => {
      await prepared(profileId);
      return backups.list(profileId);
    },
    'backup.create': async ({ profileId, verify }) => {
      await prepared(profileId);
      return { started: (await backups.create(profileId, verify)).started };
    },
    'backup.verify': async ({ profileId, backupId, where }) => ({ started: (await backups.verify(profileId, backupId, where)).started }),
    'backup.download': async ({ profileId, backupId }) => ({ started: (await backups.download(profileId, backupId)).started }),
    'backup.restore': async ({ profileId, backupId }) => {
      await prepared(profileId);
      return { started: (await backups.restore(profileId, backupId)).started };
    },
    'backup.snapshot': async ({ profileId }) => ({ started: (await backups.snapshot(profileId)).started }),
    'backup.installDaily': async ({ profileId }) => ({ started: (await backups.installDaily(profileId)).started }),
    'backup.cancel': async () => backups.cancel(),
    'backup.status': async ({ profileId }) => backups.status(profileId),
  };
}
