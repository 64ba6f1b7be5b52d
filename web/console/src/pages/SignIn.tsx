import { useEffect, useId, useState, type FormEvent } from 'react';
import { serverURL } from '../base';
import { setToken } from '../session';

type DemoMember = { externalId: string; name: string; role: string };
type Demo = { tenant: string; members: DemoMember[] };

// Signing in: a member brings the embedding platform's JWT (the platform
// opens /#token=…, or it is pasted here). A server in development mode
// with a demo tenant also offers its members.
export function SignIn() {
  const [token, setPasted] = useState('');
  const [demo, setDemo] = useState<Demo | null>(null);
  const [problem, setProblem] = useState<string | null>(() => {
    const why = sessionStorage.getItem('lanes.signedOut');
    sessionStorage.removeItem('lanes.signedOut');
    return why;
  });
  const tokenField = useId();

  useEffect(() => {
    const controller = new AbortController();
    fetch(serverURL('console/demo'), { signal: controller.signal })
      .then((r) => (r.ok ? (r.json() as Promise<Demo>) : null))
      .then((d) => d && setDemo(d))
      .catch(() => {});
    return () => controller.abort();
  }, []);

  function submit(e: FormEvent) {
    e.preventDefault();
    const t = token.trim().replace(/^Bearer\s+/i, '');
    if (!t) {
      setProblem('Paste the token your platform gave you.');
      return;
    }
    setToken(t);
  }

  async function signInAs(m: DemoMember) {
    setProblem(null);
    const r = await fetch(serverURL('console/demo/sign-in'), {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ externalId: m.externalId }),
    });
    if (!r.ok) {
      setProblem(`Signing in as ${m.name} failed (${r.status}).`);
      return;
    }
    const { token: t } = (await r.json()) as { token: string };
    setToken(t);
  }

  return (
    <main className="signin">
      <h1>Lanes</h1>
      {problem && (
        <p role="alert" className="refusal">
          {problem}
        </p>
      )}
      {demo && (
        <section aria-labelledby="demo-heading" className="card-panel">
          <h2 id="demo-heading">Demo: sign in as</h2>
          <ul className="demo-members">
            {demo.members.map((m) => (
              <li key={m.externalId}>
                <button type="button" onClick={() => void signInAs(m)}>
                  {m.name} <span className="muted">({m.role.toLowerCase()})</span>
                </button>
              </li>
            ))}
          </ul>
        </section>
      )}
      <form onSubmit={submit} className="card-panel">
        <h2>Sign in with your platform's token</h2>
        <label htmlFor={tokenField}>Member token (JWT)</label>
        <textarea id={tokenField} value={token} onChange={(e) => setPasted(e.target.value)} rows={4} spellCheck={false} />
        <button type="submit">Sign in</button>
        <p className="muted">The token is kept for this tab only.</p>
      </form>
    </main>
  );
}
