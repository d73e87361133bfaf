import { HTPASSWD_USER_MAX, valueTooLong } from '../../../../electron/shared/env-limits';
import { useEffect, useMemo, useRef, useState } from 'react';
import type { ConfigField, ConfigForm, ConfigProblem, DnsResult } from '../../../../electron/shared/recipe';
import { api } from '../../app-api';

// The state of the generated configuration form: values per key, htpasswd pairs, secrets shown or hidden,
// removed keys to drop, problems from the main side, and the live DNS check of the domains.

/** A strong random value for a secret field (32 random bytes, URL-safe base64, like the main side's generator). */
export function newSecret(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(32));
  return btoa(String.fromCharCode(...bytes)).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

export const DOMAIN_SHAPE = /^(?=.{4,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}\.?$/i;
const DNS_DELAY_MS = 700;

export interface EnvFormState {
  form: ConfigForm;
  values: Record<string, string>;
  setValue: (key: string, value: string) => void;
  htpasswd: Record<string, { user: string; password: string }>;
  setHtpasswd: (key: string, pair: { user: string; password: string }) => void;
  revealed: Set<string>;
  toggleReveal: (key: string) => void;
  dropRemoved: Set<string>;
  toggleDrop: (key: string) => void;
  problems: Record<string, ConfigProblem>;
  /** Results by domain; a well-formed domain without a result yet is being checked. */
  dns: Record<string, DnsResult>;
  save: (profileId: string) => Promise<{ ok: true; persistent: boolean; keys: string[] } | { ok: false }>;
}

export function useEnvForm(form: ConfigForm, profileId: string): EnvFormState {
  const [values, setValues] = useState<Record<string, string>>(() => Object.fromEntries(form.fields.map((f) => [f.key, f.value])));
  const [htpasswd, setPairs] = useState<Record<string, { user: string; password: string }>>(() =>
    Object.fromEntries(form.fields.filter((f) => f.kind === 'htpasswd').map((f) => [f.key, { user: f.htpasswdUser ?? '', password: '' }])),
  );
  const [revealed, setRevealed] = useState<Set<string>>(new Set());
  const [dropRemoved, setDrop] = useState<Set<string>>(new Set());
  const [problems, setProblems] = useState<Record<string, ConfigProblem>>({});
  const [dns, setDns] = useState<Record<string, DnsResult>>({});
  const domainFields = useMemo(() => form.fields.filter((f: ConfigField) => f.kind === 'domain' && !f.derived), [form]);
  const timer = useRef<ReturnType<typeof setTimeout> | null>(null);

  const domains = domainFields.map((f) => (values[f.key] ?? '').trim().toLowerCase()).filter((d) => DOMAIN_SHAPE.test(d));
  const domainKey = domains.join(',');
  useEffect(() => {
    if (timer.current) clearTimeout(timer.current);
    if (domainKey === '') return;
    const list = domainKey.split(',');
    timer.current = setTimeout(() => {
      const check = api()['config.dnsCheck'];
      check({ profileId, domains: list })
        .then((r) => setDns((d) => ({ ...d, ...Object.fromEntries(r.results.map((x) => [x.domain, x])) })))
        .catch(() => setDns((d) => ({ ...d, ...Object.fromEntries(list.map((x) => [x, { domain: x, state: 'error' as const, addresses: [] }])) })));
    }, DNS_DELAY_MS);
    return () => {
      if (timer.current) clearTimeout(timer.current);
    };
  }, [domainKey, profileId]);

  const clear = (key: string) =>
    setProblems((p) => {
      const { [key]: _gone, ...rest } = p;
      return rest;
    });

  return {
    form,
    values,
    setValue: (key, value) => {
      setValues((v) => ({ ...v, [key]: value }));
      // Too long is said as it is typed; the rest when saving (the main side checks everything again).
      const kind = form.fields.find((f) => f.key === key)?.kind;
      if (kind && valueTooLong(kind, value)) setProblems((p) => ({ ...p, [key]: 'too_long' }));
      else clear(key);
    },
    htpasswd,
    setHtpasswd: (key, pair) => {
      setPairs((p) => ({ ...p, [key]: pair }));
      if (pair.user.trim().length > HTPASSWD_USER_MAX) setProblems((p) => ({ ...p, [key]: 'too_long' }));
      else clear(key);
    },
    revealed,
    toggleReveal: (key) => setRevealed((s) => (s.has(key) ? new Set([...s].filter((k) => k !== key)) : new Set([...s, key]))),
    dropRemoved,
    toggleDrop: (key) => setDrop((s) => (s.has(key) ? new Set([...s].filter((k) => k !== key)) : new Set([...s, key]))),
    problems,
    dns,
    async save(id) {
      const editable = form.fields.filter((f) => !f.derived && f.kind !== 'htpasswd');
      const r = await api()['config.save']({
        profileId: id,
        values: Object.fromEntries(editable.map((f) => [f.key, values[f.key] ?? ''])),
        htpasswd: Object.fromEntries(Object.entries(htpasswd).filter(([, p]) => p.user !== '' || p.password !== '')),
        dropRemoved: [...dropRemoved],
      });
      if (r.ok) {
        setProblems({});
        return r;
      }
      setProblems(Object.fromEntries(r.problems.map((p) => [p.key, p.problem])));
      return { ok: false };
    },
  };
}
