/** A small turning circle for anything the user waits on; `label` is read by screen readers. */
export function Spinner({ label, testId }: { label?: string; testId?: string }) {
  return (
    <span className="spinner" role={label ? 'status' : undefined} aria-label={label} aria-hidden={label ? undefined : true} data-testid={testId} />
  );
}

/** A spinner with a visible sentence next to it. */
export function Busy({ text, testId }: { text: string; testId?: string }) {
  return (
    <p className="busy" role="status" data-testid={testId}>
      <span className="spinner" aria-hidden />
      <span>{text}</span>
    </p>
  );
}
