// The phase 3 → 4 checklist's details name the pre-production checks that fail by their ids (the contract
// stays language-free); the screen and the CLI show their names in the user's language.

export function phase4DetailParams(detail: { code: string; params: Record<string, string | number> }, translate: (key: string) => string): Record<string, string | number> {
  if (detail.code !== 'upgrade.phase4.checksFailing' || typeof detail.params.items !== 'string') return detail.params;
  const names = detail.params.items
    .split(',')
    .map((id) => id.trim())
    .filter(Boolean)
    .map((id) => translate(`k3s.checklist.items.${id}`));
  return { ...detail.params, items: names.join(', ') };
}
