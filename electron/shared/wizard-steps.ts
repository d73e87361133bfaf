// The wizard's path (DESIGN.md "The user's path"); zod-free so the renderer can import it cheaply.
export const WIZARD_STEPS = ['phase', 'where', 'code', 'configuration', 'plan', 'deploy', 'health'] as const;
export type WizardStepId = (typeof WIZARD_STEPS)[number];
