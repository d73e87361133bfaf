import { describe, expect, it } from 'vitest';
import i18next from 'i18next';
import { resources } from './i18n';
import { phase4DetailParams } from './phase4-text';

describe('phase4DetailParams', () => {
  it('names the failing pre-production checks in the user language, not by their ids', async () => {
    for (const [lang, project, quota, sentence] of [
      ['en', 'OVHcloud project', 'Quotas', 'Not ready yet: OVHcloud project, Quotas.'],
      ['fr', 'Projet OVHcloud', 'Quotas', 'Pas encore prêt : Projet OVHcloud, Quotas.'],
    ] as const) {
      const i18n = i18next.createInstance();
      await i18n.init({ resources, lng: lang, interpolation: { escapeValue: false }, showSupportNotice: false });
      const params = phase4DetailParams({ code: 'upgrade.phase4.checksFailing', params: { items: 'project, quota' } }, (k) => i18n.t(k));
      expect(params.items).toBe(`${project}, ${quota}`);
      expect(i18n.t('upgrade.phase4.checksFailing', params)).toBe(sentence);
    }
    const other = { code: 'upgrade.phase4.checksOk', params: { items: 'x' } };
    expect(phase4DetailParams(other, (k) => k)).toBe(other.params);
  });
});
