import type { Overview as OverviewData, Part, ProviderView } from '../types';
import { ago, count, ms, percent, seconds } from '../format';
import { Badge, Problem, TableScroll } from './common';

function failed<T>(part: Part<T>): part is { error: string } {
  return typeof part === 'object' && part !== null && 'error' in part;
}

function Card({ title, children, tone }: { title: string; children: preact.ComponentChildren; tone?: string }) {
  return (
    <section class={`card ${tone ? `card-${tone}` : ''}`} aria-label={title}>
      <h3>{title}</h3>
      {children}
    </section>
  );
}

function Dependencies({ data }: { data: OverviewData }) {
  const { database, redis } = data.dependencies;
  const queue = data.queue;
  const jobs = data.jobs;
  return (
    <div class="cards">
      <Card title="PostgreSQL">
        <Badge value={database.status} />
        <p>{database.status === 'up' ? `answers in ${ms(database.latencyMs)}` : database.message}</p>
      </Card>
      <Card title="Redis">
        <Badge value={redis.status} />
        <p>{redis.status === 'up' ? `answers in ${ms(redis.latencyMs)}` : redis.message}</p>
      </Card>
      <Card title="Queue">
        {failed(queue) ? (
          <Problem message={queue.error} />
        ) : (
          <>
            <p class="figure" data-testid="queue-depth">
              {count(queue.waiting + queue.prioritized + queue.delayed)}
            </p>
            <p>
              waiting, {count(queue.active)} running; oldest queued job: {seconds(queue.oldest_queued_seconds)}
            </p>
          </>
        )}
      </Card>
      <Card title="Jobs">
        {failed(jobs) ? (
          <Problem message={jobs.error} />
        ) : (
          <dl class="pairs">
            <dt>queued / running</dt>
            <dd>
              {count(jobs.queued)} / {count(jobs.running)}
            </dd>
            <dt>last hour: succeeded / failed</dt>
            <dd>
              {count(jobs.last_hour.succeeded)} / {count(jobs.last_hour.failed)}
            </dd>
            <dt>last 24 h: succeeded / failed</dt>
            <dd>
              {count(jobs.last_day.succeeded)} / {count(jobs.last_day.failed)}
            </dd>
          </dl>
        )}
      </Card>
      <Card title="Processes">
        {failed(data.workers) ? (
          <Problem message={data.workers.error} />
        ) : (
          <p>
            <span class="figure">{data.workers.length}</span> worker{data.workers.length === 1 ? '' : 's'}, {data.api_processes.length} api
          </p>
        )}
        {!failed(data.workers) && data.workers.length === 0 ? (
          <p class="warn-text">No worker is running: async jobs wait (npm run start:worker).</p>
        ) : null}
      </Card>
    </div>
  );
}

function ProviderRow({ provider, window }: { provider: ProviderView; window: number }) {
  const errors = provider.processes.map((view) => view.lastError).filter((error) => error !== undefined);
  const lastError = errors.sort((a, b) => Date.parse(b!.at) - Date.parse(a!.at))[0];
  return (
    <tr data-provider={provider.id}>
      <th scope="row">
        {provider.id}
        <div class="muted">{provider.kind}</div>
      </th>
      <td>
        <Badge value={provider.status} />
        {provider.detail ? <div class="muted">{provider.detail}</div> : null}
      </td>
      <td>
        <ul class="plain" aria-label={`${provider.id} breaker in each process`}>
          {provider.processes.map((view) => (
            <li key={view.process} data-breaker={view.breaker}>
              <Badge value={view.breaker} /> <span class="muted">{view.process}</span>
              {view.breakerRetryInMs ? <span class="muted"> (probe in {Math.ceil(view.breakerRetryInMs / 1000)} s)</span> : null}
            </li>
          ))}
        </ul>
      </td>
      <td title={`over the last ${window / 60} minutes`}>
        {percent(provider.recent?.error_rate)}
        <div class="muted">
          {provider.recent ? `${count(provider.recent.failures)} of ${count(provider.recent.calls)} calls` : 'no calls'}
        </div>
      </td>
      <td>
        {ms(provider.recent?.p50_ms)} / {ms(provider.recent?.p95_ms)}
      </td>
      <td>{lastError ? `${lastError.code}: ${lastError.message} (${ago(lastError.at)})` : '—'}</td>
    </tr>
  );
}

export function OverviewPanel({ data, error }: { data?: OverviewData; error?: string }) {
  if (!data) return error ? <Problem message={error} /> : <p>Loading…</p>;
  return (
    <>
      <Problem message={error} />
      <Dependencies data={data} />
      <h3 id="providers-title">Providers</h3>
      <TableScroll label="Providers">
        <table aria-labelledby="providers-title">
          <thead>
            <tr>
              <th scope="col">Provider</th>
              <th scope="col">Status</th>
              <th scope="col">Breaker per process</th>
              <th scope="col">Error rate ({data.recent_window_seconds / 60} min)</th>
              <th scope="col">p50 / p95</th>
              <th scope="col">Last error</th>
            </tr>
          </thead>
          <tbody>
            {data.providers.map((provider) => (
              <ProviderRow key={provider.id} provider={provider} window={data.recent_window_seconds} />
            ))}
          </tbody>
        </table>
      </TableScroll>
      <h3 id="voices-title">Voices</h3>
      <TableScroll label="Voices">
        <table aria-labelledby="voices-title">
          <thead>
            <tr>
              <th scope="col">Voice</th>
              <th scope="col">Engine</th>
              <th scope="col">State</th>
            </tr>
          </thead>
          <tbody>
            {data.voices.map((voice) => (
              <tr key={voice.id}>
                <th scope="row">
                  {voice.name} <span class="muted">{voice.id}</span>
                </th>
                <td>{voice.engine}</td>
                <td>
                  {voice.available ? (
                    <Badge value="available" />
                  ) : voice.served_by_fallback ? (
                    <Badge value="fallback" label={`served by ${voice.fallback_provider}`} />
                  ) : (
                    <Badge value="missing" label="unavailable" />
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </TableScroll>
      {!failed(data.workers) && data.workers.length > 0 ? (
        <>
          <h3>Worker processes</h3>
          <ul>
            {data.workers.map((worker) => (
              <li key={worker.worker_id}>
                {worker.worker_id} — last report {ago(worker.last_seen)}
              </li>
            ))}
          </ul>
        </>
      ) : null}
    </>
  );
}
