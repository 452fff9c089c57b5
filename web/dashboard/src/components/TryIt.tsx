import { useEffect, useRef, useState } from 'preact/hooks';
import { describeError, get, post } from '../api';
import { count, ms } from '../format';
import type { RouteChoice, Tenant, TryResult } from '../types';
import { Problem } from './common';

const SAMPLE = 'Habari za asubuhi. Karibu kwenye Sauti, huduma ya sauti kwa Kiswahili.';

/** Speak a text on any voice or provider/model, billed to a tenant, and play it here. */
export function TryItPanel({ active }: { active: boolean }) {
  const [routes, setRoutes] = useState<RouteChoice[]>([]);
  const [tenants, setTenants] = useState<Tenant[]>([]);
  const [search, setSearch] = useState('');
  const [text, setText] = useState(SAMPLE);
  const [route, setRoute] = useState('');
  const [voice, setVoice] = useState('');
  const [tenantId, setTenantId] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();
  const [result, setResult] = useState<TryResult & { url: string }>();
  const audio = useRef<HTMLAudioElement>(null);

  useEffect(() => {
    if (!active || routes.length > 0) return;
    get<RouteChoice[]>('/routes').then(
      (choices) => {
        setRoutes(choices);
        setRoute((current) => current || choices[0]?.id || '');
      },
      (failure) => setError(describeError(failure)),
    );
  }, [active]);

  useEffect(() => {
    if (!active) return;
    const query = search.trim() ? `&q=${encodeURIComponent(search.trim())}` : '';
    get<{ tenants: Tenant[] }>(`/tenants?limit=50${query}`).then(
      (page) => {
        setTenants(page.tenants);
        setTenantId((current) => (page.tenants.some((tenant) => tenant.id === current) ? current : (page.tenants[0]?.id ?? '')));
      },
      (failure) => setError(describeError(failure)),
    );
  }, [active, search]);

  useEffect(() => () => result && URL.revokeObjectURL(result.url), [result]);

  const speak = async (event: Event) => {
    event.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      const spoken = await post<TryResult>('/try', { text, route, tenant_id: tenantId, ...(voice.trim() ? { voice: voice.trim() } : {}) });
      const bytes = Uint8Array.from(atob(spoken.audio_base64), (character) => character.charCodeAt(0));
      const url = URL.createObjectURL(new Blob([bytes], { type: spoken.content_type }));
      setResult({ ...spoken, url });
      setTenants((list) => list.map((tenant) => (tenant.id === tenantId ? { ...tenant, balance: spoken.balance } : tenant)));
    } catch (failure) {
      setError(describeError(failure));
    } finally {
      setBusy(false);
    }
  };

  useEffect(() => {
    // Started by the operator's click on Speak, so browsers allow it to play.
    if (result && audio.current) void audio.current.play().catch(() => undefined);
  }, [result]);

  return (
    <>
      <form onSubmit={speak} class="stacked-form">
        <label>
          Swahili text <span class="muted">(up to 2,000 characters)</span>
          <textarea
            name="try-text"
            rows={4}
            maxLength={2000}
            required
            value={text}
            onInput={(e) => setText(e.currentTarget.value)}
            lang="sw"
          />
        </label>
        <div class="inline-form">
          <label>
            Voice or provider/model
            <input name="try-route" list="route-choices" required value={route} onInput={(e) => setRoute(e.currentTarget.value)} />
            <datalist id="route-choices">
              {routes.map((choice) => (
                <option key={choice.id} value={choice.id}>
                  {choice.label}
                </option>
              ))}
            </datalist>
          </label>
          <label>
            Upstream voice <span class="muted">(optional)</span>
            <input name="try-voice" placeholder="alloy" value={voice} onInput={(e) => setVoice(e.currentTarget.value)} />
          </label>
        </div>
        <div class="inline-form">
          <label>
            Find the tenant to bill
            <input
              type="search"
              name="try-tenant-search"
              placeholder="name or id"
              value={search}
              onInput={(e) => setSearch(e.currentTarget.value)}
            />
          </label>
          <label>
            Bill to
            <select name="try-tenant" required value={tenantId} onChange={(e) => setTenantId(e.currentTarget.value)}>
              {tenants.map((tenant) => (
                <option key={tenant.id} value={tenant.id}>
                  {tenant.name} ({count(tenant.balance)} credits)
                </option>
              ))}
            </select>
          </label>
        </div>
        <button type="submit" disabled={busy || !tenantId}>
          {busy ? 'Speaking…' : 'Speak'}
        </button>
      </form>
      <Problem message={error} />
      {result ? (
        <section class="box" aria-label="Result">
          <audio ref={audio} controls src={result.url} data-testid="try-audio" />
          <p role="status" data-testid="try-summary">
            Served by <strong>{result.provider}</strong>
            {result.model ? ` (${result.model})` : ''}: {result.duration_seconds} s of audio, {count(result.characters)} characters,{' '}
            <strong>{count(result.credits)} credits</strong> charged; balance now {count(result.balance)}.
          </p>
          <p class="muted">
            Request id <span class="mono">{result.request_id}</span>. Attempts:{' '}
            {result.attempts.map((attempt) => `${attempt.provider} ${attempt.outcome} in ${ms(attempt.durationMs)}`).join(', ')}
          </p>
        </section>
      ) : null}
    </>
  );
}
