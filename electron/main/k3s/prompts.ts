import type { K3sPrompt, PlanSummary } from '../../shared/contract-k3s';

// Questions in a terminal stream. Known ones become dialogs: Terraform's approval ("Only 'yes' will be accepted to
// approve." then "Enter a value: "), `(yes/no)` prompts such as "Apply Terraform plan? (yes/no): ", and `[y/N]`.
// Anything else that stops without a newline and stays silent is an unknown prompt: the terminal input shows.
// The text is read without its colours; the plan summary ("Plan: 3 to add, 0 to change, 0 to destroy.") is kept
// from the output seen so far.

// CSI (ESC [ … final), OSC (ESC ] … BEL or ESC \), and the other two-character escapes.
// eslint-disable-next-line no-control-regex
const ANSI = /\u001b\[[0-?]*[ -/]*[@-~]|\u001b\][^\u0007\u001b]*(?:\u0007|\u001b\\)|\u001b[@-Z\\-_]/g;

export function stripAnsi(text: string): string {
  return text.replace(ANSI, '');
}

/** The last "Plan: …" line of Terraform's output, or "No changes." */
export function parsePlanSummary(text: string): PlanSummary | null {
  const plain = stripAnsi(text);
  let found: PlanSummary | null = null;
  for (const m of plain.matchAll(/Plan:\s+(\d+)\s+to add,\s+(\d+)\s+to change,\s+(\d+)\s+to destroy/g)) {
    found = { add: Number(m[1]), change: Number(m[2]), destroy: Number(m[3]), noChanges: false };
  }
  const lastPlan = plain.lastIndexOf('Plan:');
  const lastNone = plain.lastIndexOf('No changes.');
  if (lastNone > lastPlan) return { add: 0, change: 0, destroy: 0, noChanges: true };
  return found;
}

export type PromptKind = K3sPrompt['kind'];

export interface Classified {
  kind: Exclude<PromptKind, 'unknown'>;
  question: string;
}

const APPROVE = "Only 'yes' will be accepted to approve.";

/** A known question at the end of the output (which ends without a newline), or null. */
export function classifyTail(tail: string): Classified | null {
  const plain = stripAnsi(tail).replace(/\r/g, '');
  if (plain.endsWith('\n')) return null;
  const lines = plain.split('\n');
  const last = lines[lines.length - 1] ?? '';
  if (/Enter a value:\s*$/.test(last) && plain.includes(APPROVE)) {
    const question = [...lines].reverse().find((l) => /Do you (really )?want to (perform|destroy|apply)/.test(l))?.trim() ?? APPROVE;
    return { kind: 'terraform-approve', question };
  }
  if (/\((yes\/no|y\/n)\)\s*[:?]?\s*$/i.test(last) || /\[(y\/N|Y\/n|y\/n|yes\/no)\]\s*[:?]?\s*$/.test(last)) return { kind: 'yes-no', question: last.trim() };
  return null;
}

/** The last lines before a question, without colours, for the dialog (bounded). */
export function contextOf(tail: string, lines = 12): string {
  const plain = stripAnsi(tail).replace(/\r/g, '').split('\n');
  return plain.slice(-lines - 1, -1).join('\n').slice(-2000);
}

export interface PromptWatcherOptions {
  /** Silence after output that ends without a newline before it counts as an unknown prompt. */
  stallMs: number;
  onPrompt: (p: { kind: PromptKind; question: string; context: string; summary: PlanSummary | null }) => void;
  /** New output after a question: it was answered (or went away). */
  onResolved: () => void;
}

const TAIL_MAX = 16_384;
const SUMMARY_WINDOW = 65_536;

/** Follows one step's output and says when it waits for an answer. */
export class PromptWatcher {
  private tail = '';
  private summaryText = '';
  private timer: ReturnType<typeof setTimeout> | null = null;
  private open: PromptKind | null = null;
  private stopped = false;

  constructor(private readonly opts: PromptWatcherOptions) {}

  get waiting(): PromptKind | null {
    return this.open;
  }

  push(chunk: string): void {
    if (this.stopped || chunk.length === 0) return;
    this.tail = (this.tail + chunk).slice(-TAIL_MAX);
    this.summaryText = (this.summaryText + chunk).slice(-SUMMARY_WINDOW);
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (this.open) {
      // Output after a question: the answer was taken (the echo of the typed text counts: it ends with a newline).
      if (/[\r\n]/.test(chunk) || this.open !== 'unknown') {
        this.open = null;
        this.opts.onResolved();
      }
    }
    const known = classifyTail(this.tail);
    if (known) {
      this.raise(known.kind, known.question);
      return;
    }
    const plain = stripAnsi(this.tail);
    if (plain.length > 0 && !/[\r\n]$/.test(plain)) {
      this.timer = setTimeout(() => {
        this.timer = null;
        if (this.stopped || this.open) return;
        const lines = stripAnsi(this.tail).replace(/\r/g, '').split('\n');
        const question = (lines[lines.length - 1] ?? '').trim();
        if (question) this.raise('unknown', question);
      }, this.opts.stallMs);
    }
  }

  private raise(kind: PromptKind, question: string): void {
    if (this.open === kind) return;
    this.open = kind;
    const summary = kind === 'terraform-approve' || kind === 'yes-no' ? parsePlanSummary(this.summaryText) : null;
    this.opts.onPrompt({ kind, question: question.slice(0, 500), context: contextOf(this.tail), summary });
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }
}
