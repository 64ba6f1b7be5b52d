import { Suspense, lazy, useEffect, useMemo } from 'react';
import { Provider, useQuery } from 'urql';
import { Link, Redirect, Route, Router, Switch, useLocation } from 'wouter';
import { basePath } from './base';
import { connect, type Connection } from './client';
import { refusalOf } from './errors';
import { ViewerDocument, type ViewerQuery } from './gql/graphql';
import { setToken, useToken } from './session';
import { ConnectionContext } from './connection';
import { SignIn } from './pages/SignIn';
import { BoardPage } from './pages/Board';
import { ProjectPage } from './pages/Project';
import { SettingsPage } from './pages/Settings';
import { AcceptInvitationPage, PortalApp, SurveyPage } from './pages/Portal';

// The time page carries a chart library: loaded when opened.
const TimePage = lazy(() => import('./pages/Time'));

export function App() {
  const token = useToken();
  const connection = useMemo<Connection>(() => connect(token), [token]);
  useEffect(() => () => void connection.socket?.dispose(), [connection]);
  return (
    <Provider value={connection.client}>
      <ConnectionContext.Provider value={connection}>
        <Router base={basePath}>
          <Switch>
            {/* The pages links open: with or without a session. */}
            <Route path="/portal/accept">
              <AcceptInvitationPage />
            </Route>
            <Route path="/survey">
              <SurveyPage />
            </Route>
            <Route>{token ? <SignedIn /> : <SignIn />}</Route>
          </Switch>
        </Router>
      </ConnectionContext.Provider>
    </Provider>
  );
}

type Viewer = ViewerQuery['viewer'];

function SignedIn() {
  const [{ data, error, fetching }] = useQuery({ query: ViewerDocument, requestPolicy: 'network-only' });
  const refusal = refusalOf(error);
  useEffect(() => {
    // An expired or revoked token: back to signing in, with a word why.
    if (refusal?.code === 'UNAUTHENTICATED' || refusal?.code === 'TOKEN_INVALID') {
      sessionStorage.setItem('lanes.signedOut', 'Your session has ended: sign in again.');
      setToken(null);
    }
  }, [refusal?.code]);
  if (!data) {
    if (fetching) return <p className="loading" role="status">Loading…</p>;
    return <p role="alert">{refusal?.message ?? 'The console could not load.'}</p>;
  }
  if (data.viewer.kind === 'CUSTOMER') return <PortalApp />;
  return <MemberConsole viewer={data.viewer} />;
}

function MemberConsole({ viewer }: { viewer: Viewer }) {
  const [location] = useLocation();
  const admin = viewer.role === 'ADMIN' || viewer.role === 'OWNER';
  return (
    <div className="shell">
      <header className="topbar">
        <Link href="/" className="brand">
          Lanes
        </Link>
        <span className="tenant">{viewer.tenant?.name}</span>
        <nav aria-label="Main">
          <Link href="/board/website" className={(active) => (active || location.startsWith('/board') ? 'active' : '')}>
            Board
          </Link>
          <Link href="/time" className={(active) => (active ? 'active' : '')}>
            Time
          </Link>
          {admin && (
            <Link href="/settings/website" className={(active) => (active || location.startsWith('/settings') ? 'active' : '')}>
              Settings
            </Link>
          )}
        </nav>
        <span className="who">
          {viewer.member?.name ?? 'Platform'} · {viewer.role?.toLowerCase()}
        </span>
        <button type="button" className="link" onClick={() => setToken(null)}>
          Sign out
        </button>
      </header>
      <main>
        <Switch>
          <Route path="/board/:workflow/archived">{(p) => <BoardPage workflow={p.workflow} archived role={viewer.role ?? null} />}</Route>
          <Route path="/board/:workflow">{(p) => <BoardPage workflow={p.workflow} archived={false} role={viewer.role ?? null} />}</Route>
          <Route path="/projects/:id">{(p) => <ProjectPage id={p.id} role={viewer.role ?? null} viewerId={viewer.member?.id ?? null} />}</Route>
          {admin && <Route path="/settings/:workflow">{(p) => <SettingsPage workflow={p.workflow} />}</Route>}
          <Route path="/time">
            <Suspense fallback={<p role="status">Loading…</p>}>
              <TimePage />
            </Suspense>
          </Route>
          <Route>
            <Redirect to="/board/website" replace />
          </Route>
        </Switch>
      </main>
    </div>
  );
}
