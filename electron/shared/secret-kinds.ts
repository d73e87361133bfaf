// Secrets a profile can lose with the session (web mode, the CLI, Linux without a keychain), in the order
// they are given back (the SSH key first: it reads the rest). Zod-free so the renderer imports it cheaply.
export const MISSING_SECRETS = ['sshKey', 'env', 'repoKey'] as const;
export type MissingSecretKind = (typeof MISSING_SECRETS)[number];
