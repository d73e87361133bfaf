import type { PlanEntry } from '../../shared/deploy';
import type { RemoteFile, Step } from './types';

// The plan the user confirms: every remote command and file, in order, with secrets masked. It is
// derived from the same Step objects the runner executes, so what is shown is what runs.

export const MASK = '••••••';

/** Masks a secret file: `KEY=value` lines keep their key (the user sees what is set), values never. */
export function maskSecretContent(content: string): string {
  return content
    .split('\n')
    .map((line) => {
      const m = /^(\s*(?:export\s+)?[A-Za-z_][A-Za-z0-9_.-]*\s*=)/.exec(line);
      if (m) return `${m[1]}${MASK}`;
      if (line.trim() === '' || line.trim().startsWith('#')) return line;
      return MASK;
    })
    .join('\n');
}

export interface RenderPlanOptions {
  /**
   * What to show instead of a secret file's content, or null for the default (keys kept, values masked).
   * The `.env` uses it to show its non-secret values in clear (recipe/env-secrets.ts).
   */
  maskFile?: (file: RemoteFile) => string | null;
}

export function renderPlan(steps: Step[], redact: (text: string) => string, opts: RenderPlanOptions = {}): PlanEntry[] {
  const masked = (file: RemoteFile): string => opts.maskFile?.(file) ?? maskSecretContent(file.content);
  return steps.map((step) => ({
    stepId: step.id,
    titleParams: step.titleParams ?? {},
    check: step.check ? redact(step.check.script) : null,
    actions: step.apply.map((a) =>
      a.kind === 'run'
        ? { kind: 'run' as const, as: a.command.as, detached: a.command.detached ?? false, script: redact(a.command.script) }
        : {
            kind: 'file' as const,
            path: a.file.path,
            mode: a.file.mode.toString(8).padStart(4, '0'),
            owner: `${a.file.owner}:${a.file.group}`,
            secret: a.file.secret,
            // Mask first (keys stay visible), then redact what else is secret.
            content: a.file.secret ? redact(masked(a.file)) : redact(a.file.content),
          },
    ),
    verify: step.verify ? redact(step.verify.script) : null,
  }));
}
