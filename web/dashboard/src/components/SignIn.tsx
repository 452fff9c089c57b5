import { useEffect, useRef, useState } from 'preact/hooks';
import { describeError, post } from '../api';
import type { Session } from '../types';

export function SignIn({ notice, onSignedIn }: { notice?: string; onSignedIn: (session: Session) => void }) {
  const [token, setToken] = useState('');
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  const input = useRef<HTMLInputElement>(null);
  useEffect(() => input.current?.focus(), []);
  const submit = async (event: Event) => {
    event.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      onSignedIn(await post<Session>('/session', { token }));
    } catch (failure) {
      setError(describeError(failure));
      input.current?.select();
    } finally {
      setBusy(false);
    }
  };
  return (
    <main id="main" class="narrow">
      <h1>Sauti operations</h1>
      {notice ? <p role="status">{notice}</p> : null}
      <form onSubmit={submit} class="stacked-form" aria-describedby="sign-in-help">
        <label>
          Admin token or admin key
          <input
            ref={input}
            name="token"
            type="password"
            autoComplete="current-password"
            required
            value={token}
            onInput={(event) => setToken(event.currentTarget.value)}
            aria-invalid={error ? 'true' : undefined}
            aria-describedby={error ? 'sign-in-error' : undefined}
          />
        </label>
        <button type="submit" disabled={busy}>
          Sign in
        </button>
        {error ? (
          <p id="sign-in-error" class="problem" role="alert">
            {error}
          </p>
        ) : null}
      </form>
      <p id="sign-in-help" class="muted">
        The token is ADMIN_TOKEN from the api’s environment, or a key from <code>npm run cli -- admin-keys create --name you</code>. Tenant
        API keys do not open this page.
      </p>
    </main>
  );
}

export function Disabled({ message }: { message: string }) {
  return (
    <main id="main" class="narrow">
      <h1>Sauti operations</h1>
      <h2>The dashboard is off</h2>
      <p data-testid="disabled-message">{message}</p>
      <p>Nothing is shown and the admin API answers nothing until then.</p>
    </main>
  );
}
