import { useState } from 'preact/hooks';
import { describeError, get, post } from '../api';
import { count } from '../format';
import { usePolling } from '../polling';
import type { Tenant } from '../types';
import { Problem, SecretOnce, TableScroll } from './common';
import { TenantDetail } from './TenantDetail';

const PAGE = 25;

function CreateTenant({ onCreated }: { onCreated: (tenant: Tenant) => void }) {
  const [name, setName] = useState('');
  const [credits, setCredits] = useState('0');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();
  const [secret, setSecret] = useState<string>();
  const submit = async (event: Event) => {
    event.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      const created = await post<{ tenant: Tenant; api_key: { secret: string } }>('/tenants', { name, credits: Number(credits) });
      setSecret(created.api_key.secret);
      setName('');
      setCredits('0');
      onCreated(created.tenant);
    } catch (failure) {
      setError(describeError(failure));
    } finally {
      setBusy(false);
    }
  };
  return (
    <details class="box">
      <summary>Create a tenant</summary>
      <form onSubmit={submit} class="inline-form">
        <label>
          Name
          <input name="tenant-name" required maxLength={200} value={name} onInput={(e) => setName(e.currentTarget.value)} />
        </label>
        <label>
          Opening credits
          <input
            name="tenant-credits"
            type="number"
            min={0}
            step={1}
            required
            value={credits}
            onInput={(e) => setCredits(e.currentTarget.value)}
          />
        </label>
        <button type="submit" disabled={busy}>
          Create tenant
        </button>
      </form>
      <Problem message={error} />
      {secret ? <SecretOnce title="The new tenant’s first API key" secret={secret} onDone={() => setSecret(undefined)} /> : null}
    </details>
  );
}

export function TenantsPanel({ refreshMs, active }: { refreshMs: number; active: boolean }) {
  const [query, setQuery] = useState('');
  const [offset, setOffset] = useState(0);
  const [selected, setSelected] = useState<string>();
  const list = usePolling(
    () =>
      get<{ total: number; tenants: Tenant[] }>(`/tenants?limit=${PAGE}&offset=${offset}${query ? `&q=${encodeURIComponent(query)}` : ''}`),
    refreshMs,
    active,
  );
  // Re-run the poll at once when the page or the search changes.
  const [asked, setAsked] = useState(`${query}|${offset}`);
  if (asked !== `${query}|${offset}`) {
    setAsked(`${query}|${offset}`);
    list.refresh();
  }
  const total = list.data?.total ?? 0;
  return (
    <>
      <CreateTenant
        onCreated={(tenant) => {
          setSelected(tenant.id);
          list.refresh();
        }}
      />
      <form class="inline-form" role="search" onSubmit={(event) => event.preventDefault()}>
        <label>
          Find a tenant
          <input
            type="search"
            name="tenant-search"
            placeholder="name or id"
            value={query}
            onInput={(event) => {
              setQuery(event.currentTarget.value);
              setOffset(0);
            }}
          />
        </label>
      </form>
      <Problem message={list.error} />
      <TableScroll label="Tenants">
        <table>
          <caption>
            Tenants {total > 0 ? `${offset + 1}–${Math.min(offset + PAGE, total)} of ${count(total)}` : ''} (spend in credits, UTC)
          </caption>
          <thead>
            <tr>
              <th scope="col">Tenant</th>
              <th scope="col">Balance</th>
              <th scope="col">Reserved</th>
              <th scope="col">Spent today</th>
              <th scope="col">Spent this month</th>
              <th scope="col">Top voices (jobs this month)</th>
              <th scope="col">
                <span class="visually-hidden">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {(list.data?.tenants ?? []).map((tenant) => (
              <tr key={tenant.id} data-tenant={tenant.id} aria-selected={tenant.id === selected}>
                <th scope="row">
                  {tenant.name}
                  <div class="muted mono">{tenant.id}</div>
                </th>
                <td data-field="balance">{count(tenant.balance)}</td>
                <td>{count(tenant.reserved)}</td>
                <td>{count(tenant.spend_today)}</td>
                <td>{count(tenant.spend_month)}</td>
                <td>{tenant.top_voices.map((voice) => `${voice.voice} (${count(voice.jobs)})`).join(', ') || '—'}</td>
                <td>
                  <button type="button" class="secondary" onClick={() => setSelected(tenant.id)} aria-label={`Manage ${tenant.name}`}>
                    Manage
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </TableScroll>
      <div class="actions">
        <button type="button" class="secondary" disabled={offset === 0} onClick={() => setOffset(Math.max(0, offset - PAGE))}>
          Previous page
        </button>
        <button type="button" class="secondary" disabled={offset + PAGE >= total} onClick={() => setOffset(offset + PAGE)}>
          Next page
        </button>
      </div>
      {selected ? (
        <TenantDetail key={selected} tenantId={selected} onChanged={list.refresh} onClose={() => setSelected(undefined)} />
      ) : null}
    </>
  );
}
