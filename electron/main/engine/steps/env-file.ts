import type { ComposeDeploySettings, RemoteFile, Step } from '../types';
import { asRoot, checkoutDir, fileInstalled, joinPath } from './shell';

// The `.env` Compose reads. Secret: it travels over SFTP only, the plan masks it, and the check
// compares a sha256 computed here, so neither the check nor the logs ever hold the content.

export function envFile(settings: ComposeDeploySettings): RemoteFile {
  return {
    path: joinPath(checkoutDir(settings), settings.envFile),
    content: settings.envContent,
    mode: 0o600,
    owner: settings.deployUser,
    group: settings.deployUser,
    secret: true,
  };
}

export function envFileStep(settings: ComposeDeploySettings): Step {
  const file = envFile(settings);
  const check = asRoot(fileInstalled(file));
  return {
    id: 'env-file',
    titleParams: { path: settings.envFile },
    check,
    apply: [{ kind: 'file', file }],
    verify: check,
  };
}
