import { afterEach, describe, expect, it, vi } from 'vitest';
import { classifyTail, parsePlanSummary, PromptWatcher, stripAnsi } from './prompts';

const B = '\u001b[1m';
const N = '\u001b[0m';
// Terraform 1.9's approval, as it prints it (bold parts included).
const APPROVE = `${B}Plan:${N} 3 to add, 1 to change, 0 to destroy.\n\n${B}Do you want to perform these actions?${N}\n  Terraform will perform the actions described above.\n  Only 'yes' will be accepted to approve.\n\n  ${B}Enter a value:${N} `;

describe('prompts', () => {
  it('reads the plan summary, the last one, or "No changes."', () => {
    expect(parsePlanSummary(APPROVE)).toEqual({ add: 3, change: 1, destroy: 0, noChanges: false });
    expect(parsePlanSummary('Plan: 1 to add, 0 to change, 0 to destroy.\n…\nPlan: 0 to add, 2 to change, 1 to destroy.')).toEqual({ add: 0, change: 2, destroy: 1, noChanges: false });
    expect(parsePlanSummary('\u001b[32mNo changes.\u001b[0m Your infrastructure matches the configuration.')).toEqual({ add: 0, change: 0, destroy: 0, noChanges: true });
    expect(parsePlanSummary('Apply complete!')).toBeNull();
  });

  it('knows Terraform’s approval and (yes/no) questions, only when the output waits at them', () => {
    expect(classifyTail(APPROVE)).toEqual({ kind: 'terraform-approve', question: 'Do you want to perform these actions?' });
    expect(classifyTail('x\nApply Terraform plan? (yes/no): ')).toEqual({ kind: 'yes-no', question: 'Apply Terraform plan? (yes/no):' });
    expect(classifyTail('Continue? [y/N] ')).toEqual({ kind: 'yes-no', question: 'Continue? [y/N]' });
    expect(classifyTail('Apply Terraform plan? (yes/no): yes\n')).toBeNull();
    // A variable asked by Terraform is not an approval: unknown (the terminal input).
    expect(classifyTail('var.domain\n  Public domain\n\n  Enter a value: ')).toBeNull();
    expect(stripAnsi('\u001b[1;36m▶ x\u001b[0m \u001b]0;title\u0007y')).toBe('▶ x y');
  });

  afterEach(() => {
    vi.useRealTimers();
  });

  it('an output that stalls without a newline is an unknown prompt; new output resolves it', () => {
    vi.useFakeTimers();
    const events: string[] = [];
    const w = new PromptWatcher({ stallMs: 1000, onPrompt: (p) => events.push(`${p.kind}:${p.question}`), onResolved: () => events.push('resolved') });
    w.push('Downloading…\n');
    vi.advanceTimersByTime(5000);
    expect(events).toEqual([]);
    w.push('Cluster name: ');
    vi.advanceTimersByTime(999);
    expect(events).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(events).toEqual(['unknown:Cluster name:']);
    w.push('k'); // the echo of one typed key: still asking
    expect(events).toEqual(['unknown:Cluster name:']);
    w.push('oprogo\r\n');
    expect(events).toEqual(['unknown:Cluster name:', 'resolved']);
    w.push(APPROVE);
    expect(events.at(-1)).toBe('terraform-approve:Do you want to perform these actions?');
    w.stop();
  });
});
