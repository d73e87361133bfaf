import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron';
import { EVENT_NAMES, IPC_CALL_CHANNEL, IPC_EVENT_CHANNEL, METHOD_NAMES } from '../shared/contract';

// Exposes exactly the contract's methods, each a thin invoke that returns the main side's envelope.
// No Node or Electron object crosses into the page.
const api: Record<string, (input: unknown) => Promise<unknown>> = {};
for (const method of METHOD_NAMES) {
  api[method] = (input: unknown) => ipcRenderer.invoke(IPC_CALL_CHANNEL, method, input);
}

const events = {
  on(event: string, listener: (payload: unknown) => void): () => void {
    if (!(EVENT_NAMES as string[]).includes(event)) throw new Error(`unknown event ${event}`);
    const wrapped = (_e: IpcRendererEvent, name: string, payload: unknown) => {
      if (name === event) listener(payload);
    };
    ipcRenderer.on(IPC_EVENT_CHANNEL, wrapped);
    return () => {
      ipcRenderer.removeListener(IPC_EVENT_CHANNEL, wrapped);
    };
  },
};

contextBridge.exposeInMainWorld('api', Object.freeze(api));
contextBridge.exposeInMainWorld('apiEvents', Object.freeze(events));
