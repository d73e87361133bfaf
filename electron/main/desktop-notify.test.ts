import { describe, expect, it } from 'vitest';
import { desktopNotifier, type NotificationClass } from './desktop-notify';

function stand_in(supported: boolean) {
  const shown: { title: string; body: string }[] = [];
  class FakeNotification {
    static isSupported = () => supported;
    constructor(private readonly options: { title: string; body: string }) {}
    show() {
      shown.push(this.options);
    }
  }
  return { Notification: FakeNotification as unknown as NotificationClass, shown };
}

describe('desktop notification of an upgrade signal', () => {
  it('shows one notification with the title and body', () => {
    const { Notification, shown } = stand_in(true);
    desktopNotifier(Notification)({ title: 'KoproGo: time to upgrade?', body: 'Memory above 85 %' });
    expect(shown).toEqual([{ title: 'KoproGo: time to upgrade?', body: 'Memory above 85 %' }]);
  });

  it('keeps the body short and shows nothing where notifications are not supported', () => {
    const on = stand_in(true);
    desktopNotifier(on.Notification)({ title: 't', body: 'x'.repeat(2000) });
    expect(on.shown[0]!.body).toHaveLength(500);
    const off = stand_in(false);
    desktopNotifier(off.Notification)({ title: 't', body: 'b' });
    expect(off.shown).toEqual([]);
  });
});
