import { useState } from 'preact/hooks';
import { get } from '../api';
import { ms, time } from '../format';
import { usePolling } from '../polling';
import type { Failure } from '../types';
import { Problem, TableScroll } from './common';

interface Filter {
  kind: 'all' | 'job' | 'request';
  code: string;
  provider: string;
  tenant: string;
}

function queryOf(filter: Filter): string {
  const parameters = new URLSearchParams({ kind: filter.kind, limit: '100' });
  if (filter.code.trim()) parameters.set('code', filter.code.trim());
  if (filter.provider.trim()) parameters.set('provider', filter.provider.trim());
  if (filter.tenant.trim()) parameters.set('tenant_id', filter.tenant.trim());
  return parameters.toString();
}

export function FailuresPanel({ refreshMs, active }: { refreshMs: number; active: boolean }) {
  const [draft, setDraft] = useState<Filter>({ kind: 'all', code: '', provider: '', tenant: '' });
  const [filter, setFilter] = useState<Filter>(draft);
  const polled = usePolling(() => get<{ failures: Failure[]; requests_kept: number }>(`/failures?${queryOf(filter)}`), refreshMs, active);
  const apply = (event: Event) => {
    event.preventDefault();
    setFilter(draft);
  };
  const [asked, setAsked] = useState(queryOf(filter));
  if (asked !== queryOf(filter)) {
    setAsked(queryOf(filter));
    polled.refresh();
  }
  const field = (name: keyof Filter) => (event: Event) => setDraft({ ...draft, [name]: (event.currentTarget as HTMLInputElement).value });
  const failures = polled.data?.failures ?? [];
  return (
    <>
      <form class="inline-form" onSubmit={apply} aria-label="Filter failures">
        <label>
          Kind
          <select name="failure-kind" value={draft.kind} onChange={field('kind')}>
            <option value="all">jobs and requests</option>
            <option value="job">jobs</option>
            <option value="request">requests</option>
          </select>
        </label>
        <label>
          Error code
          <input name="failure-code" placeholder="all_providers_failed" value={draft.code} onInput={field('code')} />
        </label>
        <label>
          Provider tried
          <input name="failure-provider" placeholder="openai" value={draft.provider} onInput={field('provider')} />
        </label>
        <label>
          Tenant id
          <input name="failure-tenant" placeholder="uuid" value={draft.tenant} onInput={field('tenant')} />
        </label>
        <button type="submit">Filter</button>
      </form>
      <Problem message={polled.error} />
      <TableScroll label="Recent failures">
        <table>
          <caption>
            {failures.length} most recent failures, newest first (jobs from PostgreSQL; the last {polled.data?.requests_kept ?? 1000} failed
            requests)
          </caption>
          <thead>
            <tr>
              <th scope="col">When</th>
              <th scope="col">What</th>
              <th scope="col">Code</th>
              <th scope="col">Request id</th>
              <th scope="col">Tenant</th>
              <th scope="col">Provider attempts</th>
              <th scope="col">Message</th>
            </tr>
          </thead>
          <tbody>
            {failures.map((failure) => (
              <tr key={`${failure.kind}-${failure.request_id}-${failure.at}`} data-failure-code={failure.code}>
                <td>{time(failure.at)}</td>
                <td>
                  {failure.kind === 'job' ? `job (${failure.face})` : `${failure.endpoint} → ${failure.status}`}
                  {failure.route ? <div class="muted">{failure.route}</div> : null}
                </td>
                <th scope="row">{failure.code}</th>
                <td class="mono">{failure.request_id}</td>
                <td>{failure.tenant_name ?? '—'}</td>
                <td>
                  <ol class="plain">
                    {failure.attempts.map((attempt, index) => (
                      <li key={index}>
                        {attempt.provider}
                        {attempt.model ? `/${attempt.model}` : ''}: {attempt.outcome} in {ms(attempt.durationMs)}
                        {attempt.retries ? `, ${attempt.retries} retries` : ''}
                      </li>
                    ))}
                  </ol>
                </td>
                <td>{failure.message}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </TableScroll>
      {failures.length === 0 && polled.data ? <p>No failures match.</p> : null}
    </>
  );
}
