import { useEffect, useId, useMemo, useRef, useState, type FormEvent } from 'react';
import { useQuery } from 'urql';
import { Link, Redirect, Route, Switch, useLocation, useSearch } from 'wouter';
import {
  AcceptInvitationDocument,
  ConsolePortalDocument,
  PinFeedbackDocument,
  SubmitSurveyDocument,
  SubmitWishesDocument,
  UpdateMyDataDocument,
  UploadFileDocument,
  type ConsolePortalQuery,
  type PortalFeature,
} from '../gql/graphql';
import { connect } from '../client';
import { inWords, refusalOf } from '../errors';
import { when } from '../format';
import { FileList, Panel, Said, useAction } from '../components/panel';
import { setToken } from '../session';

type PortalData = ConsolePortalQuery['portal'];
type PortalProject = PortalData['projects'][number];

// The customer's side: the accept page an invitation link opens, the
// portal of its projects (each showing only what its status unlocks),
// and the survey page.

/** /portal/accept?token=…: exchanges the invitation for a portal session. */
export function AcceptInvitationPage() {
  const token = new URLSearchParams(useSearch()).get('token') ?? '';
  const [, navigate] = useLocation();
  const [problem, setProblem] = useState<string | null>(null);
  const started = useRef(false);
  useEffect(() => {
    // An invitation is single-use: exchanged once, whatever re-renders.
    if (started.current) return;
    started.current = true;
    if (!token) {
      setProblem('This link has no invitation in it: open the link your partner sent you.');
      return;
    }
    void connect(null)
      .client.mutation(AcceptInvitationDocument, { token })
      .toPromise()
      .then((r) => {
        const refusal = refusalOf(r.error);
        if (refusal || !r.data) {
          setProblem(
            refusal?.code === 'TOKEN_INVALID'
              ? 'This invitation link is used, expired or unknown. Ask your partner for a new one.'
              : refusal
                ? inWords(refusal)
                : 'The invitation could not be opened.',
          );
          return;
        }
        setToken(r.data.acceptInvitation.token);
        navigate('/portal', { replace: true });
      });
  }, [token, navigate]);
  return (
    <main className="signin">
      <h1>Your project portal</h1>
      {problem ? (
        <p role="alert" className="refusal">
          {problem}
        </p>
      ) : (
        <p role="status">Opening your invitation…</p>
      )}
    </main>
  );
}

/** /survey?token=…: the customer's 0–10 answer after a completed project. */
export function SurveyPage() {
  const token = new URLSearchParams(useSearch()).get('token') ?? '';
  const client = useMemo(() => connect(null).client, []);
  const [score, setScore] = useState<number | null>(null);
  const [comment, setComment] = useState('');
  const [done, setDone] = useState(false);
  const [problem, setProblem] = useState<string | null>(token ? null : 'This link has no survey in it: open the link you were sent.');
  const legend = useId();

  async function submit(e: FormEvent) {
    e.preventDefault();
    if (score === null) {
      setProblem('Choose a score from 0 to 10.');
      return;
    }
    const r = await client.mutation(SubmitSurveyDocument, { token, score, comment: comment.trim() || null }).toPromise();
    const refusal = refusalOf(r.error);
    if (refusal) {
      setProblem(refusal.code === 'TOKEN_INVALID' ? 'This survey is answered already, or its link is unknown.' : inWords(refusal));
      return;
    }
    setDone(true);
  }

  return (
    <main className="signin">
      <h1>How did we do?</h1>
      {done ? (
        <p role="status">Thank you for your answer.</p>
      ) : (
        <form onSubmit={submit} className="card-panel">
          <fieldset className="scores" aria-describedby={legend}>
            <legend id={legend}>How likely are you to recommend us to a friend or colleague? (0: not at all, 10: certainly)</legend>
            {Array.from({ length: 11 }, (_, n) => (
              <label key={n} className={score === n ? 'chosen' : ''}>
                <input type="radio" name="score" value={n} checked={score === n} onChange={() => setScore(n)} />
                {n}
              </label>
            ))}
          </fieldset>
          <label htmlFor="survey-comment">What is the main reason for your score? (optional)</label>
          <textarea id="survey-comment" value={comment} onChange={(e) => setComment(e.target.value)} rows={3} />
          <button type="submit" disabled={!token}>
            Send
          </button>
        </form>
      )}
      {problem && !done && (
        <p role="alert" className="refusal">
          {problem}
        </p>
      )}
    </main>
  );
}

// urql's document cache reads the portal again after a mutation that
// returns a type its result holds; before the first file or wishes it
// holds none of them.
const portalTypes = { additionalTypenames: ['Customer', 'File', 'Wishes', 'Todo', 'PortalProject'] };

/** The portal of a signed-in customer. */
export function PortalApp() {
  const [{ data, error, fetching }] = useQuery({ query: ConsolePortalDocument, context: portalTypes });
  const portal = data?.portal;
  return (
    <div className="shell">
      <header className="topbar">
        <span className="brand">Your portal</span>
        <nav aria-label="Main">
          <Link href="/portal" className={(active) => (active ? 'active' : '')}>
            Projects
          </Link>
        </nav>
        <span className="who">{portal?.customer.name}</span>
        <button type="button" className="link" onClick={() => setToken(null)}>
          Sign out
        </button>
      </header>
      <main>
        {!portal && fetching && <p role="status">Loading your portal…</p>}
        {!portal && !fetching && <p role="alert">{refusalOf(error) ? inWords(refusalOf(error)!) : 'Your portal could not load.'}</p>}
        {portal && (
          <Switch>
            <Route path="/portal">
              <Dashboard portal={portal} />
            </Route>
            <Route path="/portal/projects/:id">
              {(params) => {
                const project = portal.projects.find((x) => x.id === params.id);
                return project ? <PortalProjectPage project={project} customer={portal.customer} /> : <p role="alert">This project is not in your portal.</p>;
              }}
            </Route>
            <Route>
              <Redirect to="/portal" replace />
            </Route>
          </Switch>
        )}
      </main>
    </div>
  );
}

const featureNames: Record<PortalFeature, string> = {
  WISHES: 'Wishes',
  FILE_MANAGER: 'Files',
  FEEDBACK: 'Feedback',
  MY_DATA: 'My data',
  EMAILS: 'E-mails',
  STATISTICS: 'Statistics',
  STORE: 'Store',
};

function Dashboard({ portal }: { portal: PortalData }) {
  return (
    <section aria-labelledby="portal-heading">
      <h1 id="portal-heading">Hello {portal.customer.name}</h1>
      {portal.projects.length === 0 ? (
        <p>You have no project in progress.</p>
      ) : (
        <ul className="portal-projects">
          {portal.projects.map((p) => (
            <li key={p.id} className="panel">
              <h2>
                <Link href={`/portal/projects/${p.id}`}>{p.title}</Link>
              </h2>
              <p>
                Stage: <strong>{p.status.name}</strong>
              </p>
              <p className="muted">Open at this stage: {p.features.map((f) => featureNames[f]).join(', ') || 'nothing yet'}.</p>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

/** A project's portal page: one panel per feature its stage unlocks. */
function PortalProjectPage({ project: p, customer }: { project: PortalProject; customer: PortalData['customer'] }) {
  const has = (f: PortalFeature) => p.features.includes(f);
  const others = p.features.filter((f) => f === 'EMAILS' || f === 'STATISTICS' || f === 'STORE');
  return (
    <article aria-labelledby="portal-project">
      <p>
        <Link href="/portal">← Your projects</Link>
      </p>
      <h1 id="portal-project">{p.title}</h1>
      <p>
        Stage: <strong>{p.status.name}</strong>
      </p>
      <div className="portal-grid">
        {p.notes.length > 0 && <TeamMessages project={p} />}
        {has('WISHES') && <WishesPanel project={p} />}
        {has('FILE_MANAGER') && <FilesPanel project={p} />}
        {has('FEEDBACK') && <FeedbackPanel project={p} />}
        {has('MY_DATA') && <MyDataPanel customer={customer} />}
      </div>
      {others.length > 0 && <p className="muted">Your partner also shares here at this stage: {others.map((f) => featureNames[f]).join(', ')}.</p>}
    </article>
  );
}

/** The notes the team shared with the customer, oldest first. */
function TeamMessages({ project: p }: { project: PortalProject }) {
  return (
    <Panel title="Messages from the team">
      <ul className="notes">
        {p.notes.map((n) => (
          <li key={n.id}>
            <p className="note-meta muted">{when(n.createdAt)}</p>
            <p className="note-body">{n.body}</p>
          </li>
        ))}
      </ul>
    </Panel>
  );
}

/** The briefing: free answers to the partner's questions. */
const wishQuestions: [string, string][] = [
  ['business', 'What is your business about?'],
  ['pages', 'Which pages do you need?'],
  ['style', 'Colours, style, sites you like'],
  ['notes', 'Anything else we should know'],
];

function WishesPanel({ project: p }: { project: PortalProject }) {
  const [answers, setAnswers] = useState<Record<string, string>>(() =>
    Object.fromEntries(wishQuestions.map(([k]) => [k, typeof p.wishes?.answers[k] === 'string' ? (p.wishes.answers[k] as string) : ''])),
  );
  const send = useAction(SubmitWishesDocument);
  const [done, setDone] = useState<string | null>(null);
  return (
    <Panel title="Your wishes">
      <form
        className="stacked"
        onSubmit={async (e) => {
          e.preventDefault();
          setDone(null);
          if (await send.run({ projectId: p.id, answers })) setDone('Your wishes are sent.');
        }}
      >
        {wishQuestions.map(([k, q]) => (
          <label key={k}>
            {q}
            <textarea rows={2} value={answers[k]} onChange={(e) => setAnswers({ ...answers, [k]: e.target.value })} />
          </label>
        ))}
        <button type="submit" disabled={send.pending}>
          Send my wishes
        </button>
        {p.wishes && <p className="muted">Last sent {when(p.wishes.submittedAt)}.</p>}
      </form>
      <Said problem={send.problem} done={done} />
    </Panel>
  );
}

function FilesPanel({ project: p }: { project: PortalProject }) {
  const upload = useAction(UploadFileDocument);
  const input = useRef<HTMLInputElement>(null);
  const field = useId();
  return (
    <Panel title="Files">
      <FileList files={p.files} />
      <form
        className="stacked"
        onSubmit={async (e) => {
          e.preventDefault();
          const file = input.current?.files?.[0];
          if (!file) {
            upload.say('Choose a file first.');
            return;
          }
          if ((await upload.run({ projectId: p.id, file })) && input.current) input.current.value = '';
        }}
      >
        <label htmlFor={field}>Add a file</label>
        <input id={field} ref={input} type="file" />
        <button type="submit" disabled={upload.pending}>
          Upload
        </button>
      </form>
      <Said problem={upload.problem} />
    </Panel>
  );
}

function FeedbackPanel({ project: p }: { project: PortalProject }) {
  const pin = useAction(PinFeedbackDocument);
  const [pageUrl, setPageUrl] = useState('');
  const [comment, setComment] = useState('');
  return (
    <Panel title="Feedback">
      {p.feedback.length > 0 && (
        <ul className="todos">
          {p.feedback.map((t) => (
            <li key={t.id} className={t.done ? 'done' : ''}>
              {t.title}
              {t.done ? ' (done)' : ''}
            </li>
          ))}
        </ul>
      )}
      <form
        className="stacked"
        onSubmit={async (e) => {
          e.preventDefault();
          if (await pin.run({ input: { projectId: p.id, pageUrl: pageUrl.trim(), comment: comment.trim() } })) setComment('');
        }}
      >
        <label>
          The page it is about (its address)
          <input type="url" value={pageUrl} onChange={(e) => setPageUrl(e.target.value)} required placeholder="https://…" />
        </label>
        <label>
          Your note
          <textarea rows={2} value={comment} onChange={(e) => setComment(e.target.value)} required />
        </label>
        <button type="submit" disabled={pin.pending}>
          Pin this feedback
        </button>
      </form>
      <Said problem={pin.problem} />
    </Panel>
  );
}

function MyDataPanel({ customer }: { customer: PortalData['customer'] }) {
  const update = useAction(UpdateMyDataDocument);
  const [data, setData] = useState({ name: customer.name, company: customer.company ?? '', email: customer.email ?? '', phone: customer.phone ?? '' });
  const [done, setDone] = useState<string | null>(null);
  const field = (key: keyof typeof data, label: string, type = 'text') => (
    <label>
      {label}
      <input type={type} value={data[key]} onChange={(e) => setData({ ...data, [key]: e.target.value })} />
    </label>
  );
  return (
    <Panel title="My data">
      <form
        className="stacked"
        onSubmit={async (e) => {
          e.preventDefault();
          setDone(null);
          const input = { name: data.name.trim(), company: data.company.trim(), email: data.email.trim(), phone: data.phone.trim() };
          if (await update.run({ input })) setDone('Saved.');
        }}
      >
        {field('name', 'Name')}
        {field('company', 'Company')}
        {field('email', 'E-mail', 'email')}
        {field('phone', 'Phone', 'tel')}
        <button type="submit" disabled={update.pending}>
          Save my data
        </button>
      </form>
      <Said problem={update.problem} done={done} />
    </Panel>
  );
}
