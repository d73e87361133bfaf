import { useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { MethodOutput } from '../../../../electron/shared/contract';
import { api } from '../../app-api';
import type { CloudKind } from './provider-ui';

// The servers this app created at the provider (found by their labels or names), so the user sees
// what they are billed for, e.g. after switching profiles or providers.

type Servers = MethodOutput<'provider.servers'>['servers'];

export function ManagedServers({ kind }: { kind: CloudKind }) {
  const { t } = useTranslation();
  const [servers, setServers] = useState<Servers | null>(null);
  useEffect(() => {
    let live = true;
    // A failure here is shown by the offers card (same credentials); this list just stays hidden.
    api()['provider.servers']({ provider: kind }).then(
      (r) => live && setServers(r.servers),
      () => undefined,
    );
    return () => {
      live = false;
    };
  }, [kind]);
  if (!servers || servers.length === 0) return null;
  // Hetzner's statuses and OpenStack's (OVH) mapped to the same words; others as the provider says.
  const status = (s: string): string => {
    const key = ({ running: 'running', ACTIVE: 'running', off: 'off', SHUTOFF: 'off', starting: 'starting', initializing: 'initializing', BUILD: 'initializing' } as Record<string, string>)[s];
    return key ? t(`where.cloud.status.${key}`) : s;
  };
  return (
    <p className="muted small" data-testid="managed-servers">
      {t('where.cloud.managed', { provider: t(`where.providers.${kind}.title`), list: servers.map((s) => `${s.name} (${s.host ?? '—'}, ${status(s.status)})`).join(' · ') })}
    </p>
  );
}
