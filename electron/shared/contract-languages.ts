// Kept apart from contract.ts so the renderer can import the language list without pulling in zod.
export const LANGUAGES = ['fr', 'nl', 'en'] as const;
export type Language = (typeof LANGUAGES)[number];
