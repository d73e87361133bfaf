import type { Notify } from './services/health-service';

// The desktop notification of an upgrade signal, through Electron's main-process Notification
// (passed in, so this file never imports Electron and is tested with a stand-in).

export interface NotificationClass {
  isSupported(): boolean;
  new (options: { title: string; body: string; silent?: boolean }): { show(): void };
}

export function desktopNotifier(Notification: NotificationClass): Notify {
  return ({ title, body }) => {
    // Some Linux desktops have no notification server: nothing to show, nothing to fail.
    if (!Notification.isSupported()) return;
    new Notification({ title, body: body.slice(0, 500) }).show();
  };
}
