import { StrictMode, type ReactNode } from 'react';
import { createRoot } from 'react-dom/client';
import { I18nextProvider } from 'react-i18next';
import { pickLanguage } from '../../electron/shared/i18n/format';
import { createApi, electronTransport, webSocketTransport } from './api';
import { setApi, api } from './app-api';
import { App } from './App';
import i18n, { loadLanguage } from './i18n';
import { useAppInfo } from './stores/app-info-store';
import { useSettings } from './stores/settings-store';
import { connectDeployEvents } from './stores/deploy-store';
import { connectHealthEvents } from './stores/health-store';
import { connectK3sEvents } from './k3s/k3s-store';
import { connectBackupEvents } from './stores/backup-store';
import { connectUpgradeEvents } from './stores/upgrade-store';
import { loadProgress, useWizard } from './stores/wizard-store';
import { establishWebSession, webSocketUrl, type SessionState } from './web-session';
import './styles.css';

const root = createRoot(document.getElementById('root')!);
const render = (node: ReactNode) =>
  root.render(
    <StrictMode>
      <I18nextProvider i18n={i18n}>{node}</I18nextProvider>
    </StrictMode>,
  );

function SessionRefused({ state }: { state: Exclude<SessionState, 'authenticated'> }) {
  return (
    <div className="panel centered" data-testid="session-refused">
      <h1>{i18n.t(`web.${state}.title`)}</h1>
      <p>{i18n.t(`web.${state}.body`)}</p>
    </div>
  );
}

async function start(): Promise<void> {
  const electron = electronTransport();
  if (electron) {
    setApi(createApi(electron));
  } else {
    const session = await establishWebSession();
    if (session !== 'authenticated') {
      await loadLanguage(pickLanguage(navigator.languages));
      render(<SessionRefused state={session} />);
      return;
    }
    setApi(createApi(webSocketTransport(webSocketUrl())));
  }
  const info = await api()['app.info']({});
  useAppInfo.setState({ info });
  // In a browser tab the browser's languages are the user's; in Electron the OS's.
  const system = info.frontDoor === 'web' ? [...navigator.languages] : info.systemLanguages;
  connectDeployEvents();
  connectHealthEvents();
  connectK3sEvents();
  connectBackupEvents();
  connectUpgradeEvents();
  await Promise.all([useSettings.getState().init(system), useWizard.getState().hydrate().then(loadProgress)]);
  render(<App />);
}

start().catch(async (error: unknown) => {
  console.error(error);
  await loadLanguage(pickLanguage(navigator.languages)).catch(() => undefined);
  render(
    <div className="panel centered" role="alert" data-testid="startup-failed">
      <h1>{i18n.t('startup.failed')}</h1>
      <p>{i18n.t('startup.remedy')}</p>
    </div>,
  );
});
