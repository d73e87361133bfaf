import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { EventName, EventPayload } from '../electron/shared/contract';
import { DEPLOY_SECRETS } from '../electron/shared/deploy';
import { Logger } from '../electron/main/log';
import { MemorySecretStore } from '../electron/main/secrets/secret-store';
import { DeployService, secretName } from '../electron/main/services/deploy-service';
import { ProfileStore } from '../electron/main/store/profile-store';
import { startDeployHost } from '../electron/main/testing';
import type { Bench } from './lib/bench';

// A re-run on a server that is already fully deployed: every step is checked, nothing is applied.
// The figure is the number of SSH round trips (exec / SFTP exchanges, as SshConnection counts them)
// the re-run needs; its wall time and the first deployment's figures are printed alongside. The
// count is the runner's: it starts after the connection and the up-front sudo check, which cost one
// SSH handshake and one exec on every run.

const ENV = ['# KoproGo environment', 'DOMAIN=koprogo.example', 'POSTGRES_PASSWORD=bench-password-0123456789', ''].join('\n');

interface StepEvent {
  stepId: string;
  state: string;
  durationMs?: number;
}

const bench: Bench = {
  description: 'SSH round trips of a re-run on a fully deployed phase-1 server (all checks, nothing to apply)',
  async run(log) {
    const host = await startDeployHost();
    const dataDir = await mkdtemp(join(tmpdir(), 'kgb-rerun-'));
    try {
      const profiles = new ProfileStore(dataDir);
      const secrets = new MemorySecretStore();
      const events: StepEvent[] = [];
      const service = new DeployService({
        dataDir,
        profiles,
        secrets,
        log: new Logger(null),
        emit: <E extends EventName>(event: E, payload: EventPayload<E>) => {
          if (event === 'deploy.step') events.push(payload as EventPayload<'deploy.step'>);
        },
      });
      const profile = host.profile();
      await profiles.save(profile);
      await secrets.set(secretName(profile.id, DEPLOY_SECRETS.sshKey), host.sshd.userPrivateKey);
      await secrets.set(secretName(profile.id, DEPLOY_SECRETS.env), ENV);

      const timed = async (what: string) => {
        events.length = 0;
        const t0 = performance.now();
        const result = await service.runToEnd(profile.id);
        const ms = performance.now() - t0;
        if (result?.outcome !== 'succeeded') {
          throw new Error(`${what} ${result?.outcome ?? 'did not run'} at ${result?.failedStep ?? '?'}: ${JSON.stringify(result?.error?.toEnvelope() ?? null)}`);
        }
        return { ms, roundTrips: result.roundTrips, steps: [...events] };
      };

      const first = await timed('the first deployment');
      log(`first deployment: ${first.roundTrips} round trips, ${first.ms.toFixed(0)} ms wall`);
      const rerun = await timed('the re-run');
      const ran = rerun.steps.filter((e) => e.state === 'running').map((e) => e.stepId);
      const skipped = rerun.steps.filter((e) => e.state === 'skipped');
      const ends = rerun.steps.filter((e) => e.state !== 'running' && e.state !== 'checking');
      const stepCount = new Set(rerun.steps.map((e) => e.stepId)).size;
      log(`re-run steps: ${ends.map((e) => `${e.stepId} ${e.state}${e.durationMs === undefined ? '' : ` ${e.durationMs.toFixed(0)} ms`}`).join(', ')}`);
      log(`re-run: ${skipped.length} of ${stepCount} steps skipped; run (checked every time): ${ran.join(', ') || 'none'}`);
      log(`re-run: ${rerun.roundTrips} round trips (${(rerun.roundTrips / Math.max(1, stepCount)).toFixed(1)} per step), ${rerun.ms.toFixed(0)} ms wall (connect and sudo check included)`);
      return { value: rerun.roundTrips, decimals: 0 };
    } finally {
      await rm(dataDir, { recursive: true, force: true });
      await host.stop();
    }
  },
};

export default bench;
