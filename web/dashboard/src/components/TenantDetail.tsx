import { useEffect, useRef, useState } from 'preact/hooks';
import { describeError, get, post, randomKey, remove } from '../api';
import { count, time } from '../format';
import type { ApiKey, Tenant } from '../types';
import { Badge, Problem, SecretOnce, TableScroll } from './common';

/** One tenant: top up, list, create and revoke its API keys. */
export function TenantDetail({ tenantId, onChanged, onClose }: { tenantId: string; onChanged: () => void; onClose: () => void }) {
  const [tenant, setTenant] = useState<Tenant>();
  const [keys, setKeys] = useState<ApiKey[]>([]);
  const [amount, setAmount] = useState('');
  const [keyName, setKeyName] = useState('');
  const [secret, setSecret] = useState<string>();
  const [message, setMessage] = useState('');
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  // One key per top-up typed in: a double click or a retry after a lost answer tops up once.
  const topUpKey = useRef(randomKey());
  const heading = useRef<HTMLHeadingElement>(null);

  const load = async () => {
    const [fresh, freshKeys] = await Promise.all([get<Tenant>(`/tenants/${tenantId}`), get<ApiKey[]>(`/tenants/${tenantId}/keys`)]);
    setTenant(fresh);
    setKeys(freshKeys);
  };
  useEffect(() => {
    load().then(
      () => heading.current?.focus(),
      (failure) => setError(describeError(failure)),
    );
  }, [tenantId]);

  const act = async (work: () => Promise<string>) => {
    setBusy(true);
    setError(undefined);
    try {
      setMessage(await work());
      await load();
      onChanged();
    } catch (failure) {
      setError(describeError(failure));
    } finally {
      setBusy(false);
    }
  };

  const topUp = (event: Event) => {
    event.preventDefault();
    void act(async () => {
      const result = await post<{ balance: number }>(
        `/tenants/${tenantId}/credits`,
        { amount: Number(amount) },
        { 'idempotency-key': topUpKey.current },
      );
      topUpKey.current = randomKey();
      setAmount('');
      return `Topped up ${count(Number(amount))} credits; the balance is now ${count(result.balance)}.`;
    });
  };
  const createKey = (event: Event) => {
    event.preventDefault();
    void act(async () => {
      const created = await post<ApiKey & { secret: string }>(`/tenants/${tenantId}/keys`, { name: keyName || 'dashboard' });
      setSecret(created.secret);
      setKeyName('');
      return `Created key ${created.prefix}…`;
    });
  };
  const revoke = (key: ApiKey) => {
    if (!window.confirm(`Revoke the key “${key.name}” (${key.prefix}…)? Clients using it stop working within seconds.`)) return;
    void act(async () => {
      await remove(`/tenants/${tenantId}/keys/${key.id}`);
      return `Revoked ${key.prefix}…`;
    });
  };

  return (
    <section class="box detail" aria-labelledby="tenant-detail-title">
      <div class="detail-head">
        <h3 id="tenant-detail-title" tabIndex={-1} ref={heading}>
          {tenant ? tenant.name : 'Tenant'}
        </h3>
        <button type="button" class="secondary" onClick={onClose}>
          Close
        </button>
      </div>
      {tenant ? (
        <p>
          Balance <strong data-testid="detail-balance">{count(tenant.balance)}</strong> credits, {count(tenant.reserved)} reserved; spent{' '}
          {count(tenant.spend_today)} today and {count(tenant.spend_month)} this month.
        </p>
      ) : null}
      <p role="status" class="status-line">
        {message}
      </p>
      <Problem message={error} />
      <form class="inline-form" onSubmit={topUp}>
        <label>
          Credits to add
          <input
            name="topup-amount"
            type="number"
            min={1}
            step={1}
            required
            value={amount}
            onInput={(e) => setAmount(e.currentTarget.value)}
          />
        </label>
        <button type="submit" disabled={busy}>
          Top up
        </button>
      </form>
      <h4>API keys</h4>
      {secret ? <SecretOnce title="The new API key" secret={secret} onDone={() => setSecret(undefined)} /> : null}
      <form class="inline-form" onSubmit={createKey}>
        <label>
          Key name
          <input
            name="key-name"
            maxLength={200}
            placeholder="dashboard"
            value={keyName}
            onInput={(e) => setKeyName(e.currentTarget.value)}
          />
        </label>
        <button type="submit" disabled={busy}>
          Create API key
        </button>
      </form>
      <TableScroll label="API keys">
        <table>
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Key</th>
              <th scope="col">Created</th>
              <th scope="col">Last used</th>
              <th scope="col">Budget</th>
              <th scope="col">State</th>
              <th scope="col">
                <span class="visually-hidden">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {keys.map((key) => (
              <tr key={key.id} data-key={key.id}>
                <th scope="row">{key.name}</th>
                <td class="mono">{key.prefix}…</td>
                <td>{time(key.created_at)}</td>
                <td>{time(key.last_used_at)}</td>
                <td>{budget(key.budget)}</td>
                <td>{key.revoked_at ? <Badge value="revoked" /> : <Badge value="active" />}</td>
                <td>
                  {key.revoked_at ? null : (
                    <button
                      type="button"
                      class="danger"
                      disabled={busy}
                      onClick={() => revoke(key)}
                      aria-label={`Revoke ${key.name} (${key.prefix})`}
                    >
                      Revoke
                    </button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </TableScroll>
    </section>
  );
}

/** `1,200 of 5,000 / month`, or `1,200 this month` for a key without a budget. */
function budget(spend: ApiKey['budget']): string {
  const per = spend.period === 'none' ? 'in all' : `/ ${spend.period}`;
  if (spend.credit_limit === null) return `${count(spend.spent)} ${spend.period === 'none' ? 'in all' : `this ${spend.period}`}`;
  return `${count(spend.spent)} of ${count(spend.credit_limit)} ${per}`;
}
