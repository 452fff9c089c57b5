import { render } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { AdminApiError, describeError, get, remove, setCsrfToken, whenSignedOut } from './api';
import { ChartsPanel } from './components/Charts';
import { Badge } from './components/common';
import { FailuresPanel } from './components/Failures';
import { OverviewPanel } from './components/Overview';
import { Disabled, SignIn } from './components/SignIn';
import { TenantsPanel } from './components/Tenants';
import { TryItPanel } from './components/TryIt';
import { usePolling } from './polling';
import type { Overview, Session } from './types';
import './styles.css';

type View =
  | { kind: 'loading' }
  | { kind: 'disabled'; message: string }
  | { kind: 'signed-out'; notice?: string }
  | { kind: 'signed-in'; session: Session };

const TABS = [
  { id: 'overview', label: 'Overview' },
  { id: 'charts', label: 'Charts' },
  { id: 'tenants', label: 'Tenants' },
  { id: 'failures', label: 'Failures' },
  { id: 'try', label: 'Try it' },
] as const;
type TabId = (typeof TABS)[number]['id'];

function tabFromHash(): TabId {
  const wanted = location.hash.slice(1);
  return TABS.find((tab) => tab.id === wanted)?.id ?? 'overview';
}

/** Tells the benchmark and the tests when the first useful view is on screen. */
function markReady(): void {
  if (performance.getEntriesByName('dashboard-ready').length === 0) performance.mark('dashboard-ready');
}

function Tabs({ current, onSelect }: { current: TabId; onSelect: (tab: TabId) => void }) {
  const buttons = useRef<Array<HTMLButtonElement | null>>([]);
  const move = (event: KeyboardEvent, index: number) => {
    const step = event.key === 'ArrowRight' ? 1 : event.key === 'ArrowLeft' ? -1 : 0;
    const target = event.key === 'Home' ? 0 : event.key === 'End' ? TABS.length - 1 : (index + step + TABS.length) % TABS.length;
    if (step === 0 && event.key !== 'Home' && event.key !== 'End') return;
    event.preventDefault();
    onSelect(TABS[target].id);
    buttons.current[target]?.focus();
  };
  return (
    <div role="tablist" aria-label="Dashboard sections" class="tabs">
      {TABS.map((tab, index) => (
        <button
          key={tab.id}
          ref={(element) => {
            buttons.current[index] = element;
          }}
          role="tab"
          id={`tab-${tab.id}`}
          aria-selected={current === tab.id}
          aria-controls={`panel-${tab.id}`}
          tabIndex={current === tab.id ? 0 : -1}
          onClick={() => onSelect(tab.id)}
          onKeyDown={(event) => move(event, index)}
        >
          {tab.label}
        </button>
      ))}
    </div>
  );
}

function Dashboard({ session, onSignOut }: { session: Session; onSignOut: () => void }) {
  const [tab, setTab] = useState<TabId>(tabFromHash());
  const refreshMs = session.refresh_seconds * 1000;
  const overview = usePolling(() => get<Overview>('/overview'), refreshMs);
  useEffect(() => {
    const onHash = () => setTab(tabFromHash());
    addEventListener('hashchange', onHash);
    return () => removeEventListener('hashchange', onHash);
  }, []);
  useEffect(() => {
    if (overview.data) markReady();
  }, [overview.data]);
  const select = (next: TabId) => {
    history.replaceState(null, '', `#${next}`);
    setTab(next);
  };
  const panel = (id: TabId, content: preact.ComponentChildren) => (
    <section role="tabpanel" id={`panel-${id}`} aria-labelledby={`tab-${id}`} hidden={tab !== id} tabIndex={0}>
      <h2 class="visually-hidden">{TABS.find((entry) => entry.id === id)!.label}</h2>
      {content}
    </section>
  );
  return (
    <>
      <header class="top">
        <h1>Sauti operations</h1>
        <div class="top-status" aria-live="polite">
          {overview.data ? <Badge value={overview.data.ready ? 'up' : 'down'} label={overview.data.ready ? 'ready' : 'not ready'} /> : null}
          <span class="muted" data-testid="updated-at">
            {overview.updatedAt ? `updated ${new Date(overview.updatedAt).toLocaleTimeString('en-GB', { hour12: false })}` : 'loading…'}
          </span>
        </div>
        <div class="top-user">
          <span class="muted">Signed in with {session.signed_in_as.name}</span>
          <button type="button" class="secondary" onClick={onSignOut}>
            Sign out
          </button>
        </div>
      </header>
      <main id="main">
        <Tabs current={tab} onSelect={select} />
        {panel('overview', <OverviewPanel data={overview.data} error={overview.error} />)}
        {panel('charts', <ChartsPanel refreshMs={refreshMs} active={tab === 'charts'} />)}
        {panel('tenants', <TenantsPanel refreshMs={refreshMs} active={tab === 'tenants'} />)}
        {panel('failures', <FailuresPanel refreshMs={refreshMs} active={tab === 'failures'} />)}
        {panel('try', <TryItPanel active={tab === 'try'} />)}
      </main>
    </>
  );
}

function App() {
  const [view, setView] = useState<View>({ kind: 'loading' });
  const signedIn = (session: Session) => {
    setCsrfToken(session.csrf_token);
    setView({ kind: 'signed-in', session });
  };
  useEffect(() => {
    whenSignedOut((notice) => {
      setCsrfToken(undefined);
      setView({ kind: 'signed-out', notice });
    });
    get<Session>('/session').then(signedIn, (error: unknown) => {
      if (error instanceof AdminApiError && error.status === 404 && error.details?.admin_enabled === false) {
        setView({ kind: 'disabled', message: error.message });
      } else if (error instanceof AdminApiError && error.status === 401) {
        setView({ kind: 'signed-out' });
      } else {
        setView({ kind: 'signed-out', notice: describeError(error) });
      }
    });
  }, []);
  useEffect(() => {
    if (view.kind === 'signed-out' || view.kind === 'disabled') markReady();
  }, [view.kind]);
  const signOut = async () => {
    await remove('/session').catch(() => undefined);
    setCsrfToken(undefined);
    setView({ kind: 'signed-out', notice: 'Signed out.' });
  };
  return (
    <>
      <a class="skip-link" href="#main">
        Skip to content
      </a>
      {view.kind === 'loading' ? <p class="boot">Loading…</p> : null}
      {view.kind === 'disabled' ? <Disabled message={view.message} /> : null}
      {view.kind === 'signed-out' ? <SignIn notice={view.notice} onSignedIn={signedIn} /> : null}
      {view.kind === 'signed-in' ? <Dashboard session={view.session} onSignOut={() => void signOut()} /> : null}
    </>
  );
}

render(<App />, document.getElementById('app')!);
