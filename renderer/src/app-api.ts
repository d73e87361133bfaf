import type { Api } from '../../electron/shared/contract';

// The Api instance chosen at start-up (Electron preload or web mode), reachable from stores.
let current: Api | null = null;

export function setApi(api: Api): void {
  current = api;
}

export function api(): Api {
  if (!current) throw new Error('api used before start-up');
  return current;
}
