import { api } from './app-api';

/** Opens an allowed https link: the main side opens the system browser (Electron), or lets this tab open it (web mode). */
export async function openLink(url: string): Promise<void> {
  const r = await api()['shell.openExternal']({ url });
  if (r.openedBy === 'client') window.open(r.url, '_blank', 'noopener,noreferrer');
}
