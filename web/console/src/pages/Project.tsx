import { useId, useMemo, useState, type FormEvent, type ReactNode } from 'react';
import { useQuery } from 'urql';
import { Link } from 'wouter';
import {
  ConsoleAcceptLeadDocument,
  ConsoleAddNoteDocument,
  ConsoleAdvanceProjectDocument,
  ConsoleAssigneesDocument,
  ConsoleCompleteProjectDocument,
  ConsoleCompleteTodoDocument,
  ConsoleCreatePaymentLinkDocument,
  ConsoleCreateTodoDocument,
  ConsoleDeclineLeadDocument,
  ConsoleInviteCustomerDocument,
  ConsoleMembersDocument,
  ConsoleProjectDocument,
  ConsoleRecordRevenueShareDocument,
  ConsoleReopenProjectDocument,
  ConsoleReopenTodoDocument,
  ConsoleReviewCustomerDocument,
  ConsoleSecureProjectDocument,
  ConsoleSetProgressDocument,
  ConsoleStartTimerDocument,
  ConsoleStopTimerDocument,
  ConsoleUpdateNoteDocument,
  ConsoleUpdateProjectDocument,
  MoveProjectDocument,
  type ConsoleAssigneesQuery,
  type ConsoleProjectQuery,
  type DeclineReason,
  type MemberRole,
} from '../gql/graphql';
import { inWords, refusalOf } from '../errors';
import { FileList, Panel, Said, useAction } from '../components/panel';
import { dayOf, dayToTime, duration, minorUnits, money, progressName, progressSteps, when } from '../format';

type Data = ConsoleProjectQuery;
type Project = Extract<NonNullable<Data['node']>, { steps: unknown }>;
type Members = ConsoleAssigneesQuery['members'];

// The detail view: the workflow bar with its next-status button, the
// to-dos, the notes, the history and time per status, the lead actions
// and progress trail, the project's details (title, assignee, customer)
// and what the customer sent, and the timer.
// urql's document cache reads a query again after a mutation that returns
// a type the query's result holds; a project without payments yet holds
// none, so the types its actions return are named here.
const projectTypes = { additionalTypenames: ['Project', 'Payment', 'Todo', 'TimeEntry', 'CustomerReview', 'Survey', 'File', 'Wishes', 'Note'] };

/** viewerId: the signed-in member's ID (null for the platform): the author of their notes. */
export function ProjectPage({ id, role, viewerId }: { id: string; role: MemberRole | null; viewerId: string | null }) {
  const [{ data, error, fetching }] = useQuery({ query: ConsoleProjectDocument, variables: { id }, context: projectTypes });
  const [{ data: team }] = useQuery({ query: ConsoleAssigneesDocument });
  const members = team?.members ?? [];
  const p = data?.node && 'steps' in data.node ? (data.node as Project) : null;
  const canAct = role !== null && role !== 'VIEWER' && !!p && !p.archived;
  const admin = role === 'ADMIN' || role === 'OWNER';
  if (!p) {
    if (fetching) return <p role="status">Loading the project…</p>;
    const refusal = refusalOf(error);
    return <p role="alert">{refusal ? inWords(refusal) : 'This project does not exist.'}</p>;
  }
  const isLead = p.workflow.mode === 'STRICT';
  return (
    <article className="project" aria-labelledby="project-title">
      <p>
        <Link href={`/board/${p.workflow.key}`}>← {p.workflow.name}</Link>
      </p>
      <header className="project-head">
        <h1 id="project-title">{p.title}</h1>
        <span className="chip" style={{ borderColor: p.status.color }}>
          {p.status.name}
        </span>
        {p.progress && <span className="chip">{progressName(p.progress)}</span>}
        <span className="chip assignee">{p.assignee ? `Assigned to ${p.assignee.name}` : 'Unassigned'}</span>
      </header>
      {p.archived && <Archived project={p} canReopen={admin} />}
      <WorkflowBar project={p} canAct={canAct && !isLead} />
      <div className="project-grid">
        <div className="project-main">
          {isLead && <LeadActions project={p} canAct={canAct} />}
          {isLead && <ProgressTrail project={p} />}
          <Todos project={p} canAct={canAct} members={members} />
          <Notes project={p} canAct={canAct} viewerId={viewerId} />
          <History project={p} />
        </div>
        <aside className="project-side">
          <Timer project={p} running={data?.runningTimer ?? null} canAct={role !== null && role !== 'VIEWER'} />
          <Details project={p} canAct={canAct} members={members} />
          <CustomerPanel project={p} canAct={canAct} />
          <CustomerWork project={p} />
          <Panel title="Time in each status">
            {p.timeInStatus.length === 0 ? (
              <p className="muted">No time yet.</p>
            ) : (
              <dl className="pairs">
                {p.timeInStatus.map((t) => (
                  <div key={t.status.key}>
                    <dt>{t.status.name}</dt>
                    <dd>{duration(t.seconds)}</dd>
                  </div>
                ))}
              </dl>
            )}
          </Panel>
        </aside>
      </div>
    </article>
  );
}

/**
 * The workflow bar: the statuses in order, the current one first as a
 * button that offers every other status, the blue button to the next.
 */
function WorkflowBar({ project: p, canAct }: { project: Project; canAct: boolean }) {
  const advance = useAction(ConsoleAdvanceProjectDocument);
  const move = useAction(MoveProjectDocument);
  const [choosing, setChoosing] = useState(false);
  const current = p.steps.findIndex((s) => s.state === 'CURRENT');
  const next = p.steps[current + 1]?.status;
  return (
    <nav className="workflow-bar" aria-label="Workflow">
      {canAct && !choosing && (
        <button type="button" className="current" aria-haspopup="listbox" onClick={() => setChoosing(true)}>
          {p.status.name} ▾<span className="sr-only"> (change the status)</span>
        </button>
      )}
      {canAct && choosing && (
        <label className="move-to">
          <span className="sr-only">Move {p.title} to</span>
          <select
            autoFocus
            value=""
            onBlur={() => setChoosing(false)}
            onKeyDown={(e) => e.key === 'Escape' && setChoosing(false)}
            onChange={(e) => {
              setChoosing(false);
              if (e.target.value) void move.run({ input: { id: p.id, to: e.target.value, expectedVersion: p.version } });
            }}
          >
            <option value="">Choose a status…</option>
            {p.steps
              .filter((s) => s.state !== 'CURRENT')
              .map((s) => (
                <option key={s.status.key} value={s.status.key}>
                  {s.status.name}
                </option>
              ))}
          </select>
        </label>
      )}
      <ol className="steps">
        {p.steps.map((s) => (
          <li key={s.status.key} className={`step ${s.state.toLowerCase()}`} aria-current={s.state === 'CURRENT' ? 'step' : undefined}>
            {s.status.name}
          </li>
        ))}
      </ol>
      {canAct && next && (
        <button type="button" className="next" disabled={advance.pending} onClick={() => void advance.run({ id: p.id, expectedVersion: p.version })}>
          Next: {next.name}
        </button>
      )}
      <Said problem={advance.problem ?? move.problem} />
    </nav>
  );
}

/** A select of the members, with "Unassigned" (value ''). */
function AssigneeSelect({ members, value, onChange, label }: { members: Members; value: string; onChange: (id: string) => void; label: string }) {
  return (
    <label>
      {label}{' '}
      <select value={value} onChange={(e) => onChange(e.target.value)}>
        <option value="">Unassigned</option>
        {members.map((m) => (
          <option key={m.id} value={m.id}>
            {m.name}
          </option>
        ))}
      </select>
    </label>
  );
}

function Todos({ project: p, canAct, members }: { project: Project; canAct: boolean; members: Members }) {
  const complete = useAction(ConsoleCompleteTodoDocument);
  const reopen = useAction(ConsoleReopenTodoDocument);
  const checklist = p.todos.filter((t) => t.kind === 'CHECKLIST');
  const here = checklist.filter((t) => t.status.key === p.status.key);
  const elsewhere = checklist.filter((t) => t.status.key !== p.status.key);
  const blocking = here.filter((t) => t.blocking && !t.done).length;
  const row = (t: Project['todos'][number]) => (
    <li key={t.id} className={t.done ? 'done' : ''} data-todo={t.id}>
      <label>
        <input type="checkbox" checked={t.done} disabled={!canAct || t.done || complete.pending} onChange={() => void complete.run({ id: t.id })} />
        {t.title}
      </label>
      {t.blocking && <span className="tag">blocking</span>}
      {t.assignee && <span className="muted"> · {t.assignee.name}</span>}
      {t.dueAt && <span className="muted"> · due {dayOf(t.dueAt)}</span>}
      {canAct && t.done && (
        <>
          {' '}
          <button type="button" className="link" disabled={reopen.pending} onClick={() => void reopen.run({ id: t.id })}>
            Reopen<span className="sr-only"> {t.title}</span>
          </button>
        </>
      )}
    </li>
  );
  return (
    <Panel title="To-dos">
      {blocking > 0 && (
        <p className="banner">
          {blocking} blocking to-do{blocking > 1 ? 's' : ''} keep{blocking > 1 ? '' : 's'} this project in {p.status.name}.
        </p>
      )}
      {here.length === 0 && elsewhere.length === 0 && <p className="muted">No to-dos.</p>}
      {here.length > 0 && <ul className="todos">{here.map(row)}</ul>}
      {elsewhere.length > 0 && (
        <>
          <h3>Of other statuses</h3>
          <ul className="todos">{elsewhere.map(row)}</ul>
        </>
      )}
      <Said problem={complete.problem ?? reopen.problem} />
      {canAct && <NewTodo project={p} members={members} />}
    </Panel>
  );
}

function NewTodo({ project: p, members }: { project: Project; members: Members }) {
  const create = useAction(ConsoleCreateTodoDocument);
  const [title, setTitle] = useState('');
  const [assignee, setAssignee] = useState('');
  const [due, setDue] = useState('');
  const [blocking, setBlocking] = useState(false);
  return (
    <form
      className="inline-form new-todo"
      onSubmit={async (e) => {
        e.preventDefault();
        const input = { projectId: p.id, title: title.trim(), assigneeId: assignee || null, dueAt: due ? dayToTime(due) : null, blocking };
        if (await create.run({ input })) {
          setTitle('');
          setDue('');
          setBlocking(false);
        }
      }}
    >
      <h3 className="sr-only">Add a to-do</h3>
      <label>
        To-do <input value={title} onChange={(e) => setTitle(e.target.value)} required />
      </label>
      <AssigneeSelect label="For" members={members} value={assignee} onChange={setAssignee} />
      <label>
        Due <input type="date" value={due} onChange={(e) => setDue(e.target.value)} />
      </label>
      <label className="check">
        <input type="checkbox" checked={blocking} onChange={(e) => setBlocking(e.target.checked)} /> blocking
      </label>
      <button type="submit" disabled={create.pending}>
        Add the to-do
      </button>
      <Said problem={create.problem} />
    </form>
  );
}

type Note = Project['notes'][number];

/** The team's notes: internal ones, and the ones shared with the customer's portal. */
function Notes({ project: p, canAct, viewerId }: { project: Project; canAct: boolean; viewerId: string | null }) {
  const add = useAction(ConsoleAddNoteDocument);
  const [body, setBody] = useState('');
  const [shared, setShared] = useState(false);
  const bodyId = useId();
  return (
    <Panel title="Notes">
      {p.notes.length === 0 ? (
        <p className="muted">No notes yet.</p>
      ) : (
        <ul className="notes">
          {p.notes.map((n) => (
            <NoteItem key={n.id} note={n} mine={canAct && n.author.id === viewerId} />
          ))}
        </ul>
      )}
      {canAct && viewerId && (
        <form
          className="stacked"
          onSubmit={async (e) => {
            e.preventDefault();
            if (await add.run({ input: { projectId: p.id, body: body.trim(), shared } })) {
              setBody('');
              setShared(false);
            }
          }}
        >
          <label htmlFor={bodyId}>Add a note</label>
          <NoteFields id={bodyId} body={body} setBody={setBody} shared={shared} setShared={setShared}>
            <button type="submit" disabled={add.pending}>
              Add the note
            </button>
          </NoteFields>
          <Said problem={add.problem} />
        </form>
      )}
    </Panel>
  );
}

/** A note's text and whether the customer sees it, with the form's buttons. */
function NoteFields(props: {
  id: string;
  body: string;
  setBody: (body: string) => void;
  shared: boolean;
  setShared: (shared: boolean) => void;
  children: ReactNode;
}) {
  return (
    <>
      <textarea id={props.id} value={props.body} onChange={(e) => props.setBody(e.target.value)} rows={3} required />
      <div className="actions">
        <label className="check">
          <input type="checkbox" checked={props.shared} onChange={(e) => props.setShared(e.target.checked)} /> Share with the customer
        </label>
        {props.children}
      </div>
    </>
  );
}

function NoteItem({ note: n, mine }: { note: Note; mine: boolean }) {
  const update = useAction(ConsoleUpdateNoteDocument);
  const [editing, setEditing] = useState(false);
  const [body, setBody] = useState(n.body);
  const [shared, setShared] = useState(n.shared);
  const bodyId = useId();
  return (
    <li data-note={n.id}>
      <p className="note-meta">
        <strong>{n.author.name}</strong> <span className="muted">{when(n.createdAt)}</span>{' '}
        <span className={`tag${n.shared ? '' : ' neutral'}`}>{n.shared ? 'shared with the customer' : 'internal'}</span>
      </p>
      {!editing && <p className="note-body">{n.body}</p>}
      {mine && !editing && (
        <button
          type="button"
          className="link"
          onClick={() => {
            setBody(n.body);
            setShared(n.shared);
            setEditing(true);
          }}
        >
          Edit<span className="sr-only"> the note</span>
        </button>
      )}
      {editing && (
        <form
          className="stacked"
          onSubmit={async (e) => {
            e.preventDefault();
            if (await update.run({ input: { id: n.id, body: body.trim(), shared } })) setEditing(false);
          }}
        >
          <label htmlFor={bodyId} className="sr-only">
            The note
          </label>
          <NoteFields id={bodyId} body={body} setBody={setBody} shared={shared} setShared={setShared}>
            <button type="submit" disabled={update.pending}>
              Save the note
            </button>
            <button type="button" className="secondary" onClick={() => setEditing(false)}>
              Cancel
            </button>
          </NoteFields>
        </form>
      )}
      <Said problem={update.problem} />
    </li>
  );
}

/** The title, the assignee and the customer's data, edited together. */
function Details({ project: p, canAct, members }: { project: Project; canAct: boolean; members: Members }) {
  const update = useAction(ConsoleUpdateProjectDocument);
  const [editing, setEditing] = useState(false);
  const [form, setForm] = useState({ title: '', assignee: '', name: '', company: '', email: '', phone: '' });
  const [done, setDone] = useState<string | null>(null);
  const field = (k: keyof typeof form) => ({ value: form[k], onChange: (e: { target: { value: string } }) => setForm({ ...form, [k]: e.target.value }) });
  function open() {
    const c = p.customer;
    setForm({ title: p.title, assignee: p.assignee?.id ?? '', name: c?.name ?? '', company: c?.company ?? '', email: c?.email ?? '', phone: c?.phone ?? '' });
    setDone(null);
    setEditing(true);
  }
  async function save(e: FormEvent) {
    e.preventDefault();
    const name = form.name.trim();
    // Without a customer and without a name, there is no customer to write.
    const customer = name || p.customer ? { name, company: form.company.trim(), email: form.email.trim(), phone: form.phone.trim() } : null;
    const r = await update.run({
      input: { id: p.id, title: form.title.trim(), assigneeId: form.assignee || null, expectedVersion: p.version, ...(customer ? { customer } : {}) },
    });
    if (r) {
      setEditing(false);
      setDone('The details are saved.');
    }
  }
  return (
    <Panel title="Details">
      <dl className="pairs">
        <div>
          <dt>Assignee</dt>
          <dd>{p.assignee?.name ?? 'Unassigned'}</dd>
        </div>
      </dl>
      {canAct && !editing && (
        <div className="actions">
          <button type="button" className="secondary" onClick={open}>
            Edit the details
          </button>
        </div>
      )}
      {editing && (
        <form className="stacked" onSubmit={save}>
          <label>
            Title
            <input {...field('title')} required />
          </label>
          <AssigneeSelect label="Assignee" members={members} value={form.assignee} onChange={(assignee) => setForm({ ...form, assignee })} />
          <fieldset className="choices">
            <legend>Customer</legend>
            <label>
              Customer name
              <input {...field('name')} required={!!p.customer} />
            </label>
            <label>
              Company
              <input {...field('company')} />
            </label>
            <label>
              E-mail
              <input type="email" {...field('email')} />
            </label>
            <label>
              Phone
              <input type="tel" {...field('phone')} />
            </label>
          </fieldset>
          <div className="actions">
            <button type="submit" disabled={update.pending}>
              Save the details
            </button>
            <button type="button" className="secondary" onClick={() => setEditing(false)}>
              Cancel
            </button>
          </div>
        </form>
      )}
      <Said problem={update.problem} done={done} />
    </Panel>
  );
}

/** An archived project's banner; an admin may reopen it, with a note for the history. */
function Archived({ project: p, canReopen }: { project: Project; canReopen: boolean }) {
  const reopen = useAction(ConsoleReopenProjectDocument);
  const [note, setNote] = useState('');
  return (
    <>
      <p className="banner" role="status">
        Archived{p.archiveReason ? `: ${declineReasons[p.archiveReason]}` : ''}. It no longer notifies anyone.
      </p>
      {canReopen && (
        <form
          className="inline-form reopen"
          onSubmit={(e) => {
            e.preventDefault();
            void reopen.run({ id: p.id, note: note.trim() || null });
          }}
        >
          <label>
            Note (optional) <input value={note} onChange={(e) => setNote(e.target.value)} />
          </label>
          <button type="submit" disabled={reopen.pending}>
            Reopen<span className="sr-only"> {p.title}</span>
          </button>
        </form>
      )}
      <Said problem={reopen.problem} />
    </>
  );
}

/** Every progress update of a lead, oldest first. */
function ProgressTrail({ project: p }: { project: Project }) {
  if (p.progressHistory.length === 0) return null;
  return (
    <Panel title="Progress">
      <ol className="progress-trail">
        {p.progressHistory.map((x, i) => (
          <li key={`${x.key}-${i}`}>
            <strong>{progressName(x)}</strong> <span className="muted">{when(x.updatedAt)}</span>
            {x.note ? ` — ${x.note}` : ''}
          </li>
        ))}
      </ol>
    </Panel>
  );
}

function History({ project: p }: { project: Project }) {
  const memberIds = useMemo(() => [...new Set(p.history.map((h) => h.actor).filter((a) => a.startsWith('member:')).map((a) => a.slice(7)))], [p.history]);
  const [{ data }] = useQuery({ query: ConsoleMembersDocument, variables: { ids: memberIds }, pause: memberIds.length === 0 });
  const names = new Map((data?.nodes ?? []).flatMap((n) => (n && 'name' in n ? [[n.id, n.name] as const] : [])));
  const who = (actor: string) => (actor.startsWith('member:') ? (names.get(actor.slice(7)) ?? 'a member') : actor.startsWith('customer:') ? 'the customer' : actor);
  return (
    <Panel title="History">
      <table className="history">
        <thead>
          <tr>
            <th scope="col">When</th>
            <th scope="col">What</th>
            <th scope="col">Who</th>
          </tr>
        </thead>
        <tbody>
          {p.history.map((h) => (
            <tr key={h.id}>
              <td>{when(h.at)}</td>
              <td>
                {h.action}: {h.from ? `${h.from.name} → ` : ''}
                {h.to.name}
                {h.reason ? ` (${declineReasons[h.reason as DeclineReason] ?? h.reason})` : ''}
                {h.note ? ` — ${h.note}` : ''}
              </td>
              <td>{who(h.actor)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </Panel>
  );
}

const declineReasons: Record<DeclineReason, string> = {
  BUDGET_TOO_LOW: 'budget too low',
  AT_CAPACITY: 'at capacity',
  SERVICE_NOT_OFFERED: 'service not offered',
  CUSTOMER_DECLINED: 'the customer declined',
  OTHER: 'other',
};

// The partner-lead lifecycle: accept or decline a new lead, report
// progress and secure an active one, get paid and complete a secured one,
// then review the customer.
function LeadActions({ project: p, canAct }: { project: Project; canAct: boolean }) {
  const accept = useAction(ConsoleAcceptLeadDocument);
  const decline = useAction(ConsoleDeclineLeadDocument);
  const progress = useAction(ConsoleSetProgressDocument);
  const secure = useAction(ConsoleSecureProjectDocument);
  const link = useAction(ConsoleCreatePaymentLinkDocument);
  const share = useAction(ConsoleRecordRevenueShareDocument);
  const complete = useAction(ConsoleCompleteProjectDocument);
  const review = useAction(ConsoleReviewCustomerDocument);
  const [reason, setReason] = useState<DeclineReason>('BUDGET_TOO_LOW');
  const [note, setNote] = useState('');
  const [amount, setAmount] = useState('');
  const [currency, setCurrency] = useState('EUR');
  const [problem, setProblem] = useState<string | null>(null);
  const [rating, setRating] = useState(5);
  const [comment, setComment] = useState('');
  const status = p.status.key;
  const paid = p.payments.some((x) => x.status === 'PAID');

  function amountOrSay(): { amount: number; currency: string } | null {
    const minor = minorUnits(amount);
    if (minor === null || minor <= 0) {
      setProblem('Write the amount as a number, e.g. 1250 or 1250.50.');
      return null;
    }
    setProblem(null);
    return { amount: minor, currency: currency.trim().toUpperCase() };
  }

  if (!canAct && status !== 'completed') return null;
  return (
    <Panel title="Lead">
      {status === 'new' && (
        <div className="actions">
          <button type="button" onClick={() => void accept.run({ id: p.id })}>
            Accept the lead
          </button>
        </div>
      )}
      {status === 'active' && (
        <div className="actions">
          <label>
            Progress{' '}
            <select value={p.progress?.key ?? ''} onChange={(e) => e.target.value && void progress.run({ id: p.id, progress: e.target.value })}>
              <option value="">Choose…</option>
              {progressSteps.map(([k, label]) => (
                <option key={k} value={k}>
                  {label}
                </option>
              ))}
            </select>
          </label>
          <button type="button" onClick={() => void secure.run({ id: p.id })}>
            Secure the project
          </button>
        </div>
      )}
      {(status === 'new' || status === 'active') && (
        <form
          className="inline-form"
          onSubmit={(e: FormEvent) => {
            e.preventDefault();
            void decline.run({ id: p.id, reason, note: note.trim() || null });
          }}
        >
          <label>
            Decline because{' '}
            <select value={reason} onChange={(e) => setReason(e.target.value as DeclineReason)}>
              {Object.entries(declineReasons).map(([k, label]) => (
                <option key={k} value={k}>
                  {label}
                </option>
              ))}
            </select>
          </label>
          <label>
            Note <input value={note} onChange={(e) => setNote(e.target.value)} />
          </label>
          <button type="submit" className="danger">
            Decline
          </button>
        </form>
      )}
      {status === 'secured' && (
        <>
          <div className="inline-form">
            <label>
              Amount <input value={amount} onChange={(e) => setAmount(e.target.value)} inputMode="decimal" placeholder="1250.00" />
            </label>
            <label>
              Currency <input value={currency} onChange={(e) => setCurrency(e.target.value)} size={4} />
            </label>
            <button
              type="button"
              onClick={() => {
                const a = amountOrSay();
                if (a) void link.run({ input: { projectId: p.id, amount: a } });
              }}
            >
              Create a payment link
            </button>
            <button
              type="button"
              onClick={() => {
                const a = amountOrSay();
                if (a) void share.run({ input: { projectId: p.id, amount: a } });
              }}
            >
              Record a revenue share
            </button>
            <button
              type="button"
              disabled={!paid}
              title={paid ? undefined : 'Completing needs a paid payment'}
              onClick={() => {
                const a = amountOrSay();
                if (a) void complete.run({ input: { id: p.id, finalDealValue: a } });
              }}
            >
              Complete with this final deal value
            </button>
          </div>
          {!paid && <p className="muted">Completing needs a paid payment link or a recorded revenue share.</p>}
        </>
      )}
      {p.payments.length > 0 && (
        <ul className="payments">
          {p.payments.map((x) => (
            <li key={x.id}>
              {x.kind === 'PAYMENT_LINK' ? 'Payment link' : 'Revenue share'} of {money(x.amount)}: {x.status.toLowerCase()}
              {x.url && x.status === 'OPEN' && (
                <>
                  {' '}
                  <a href={x.url}>link</a>
                </>
              )}
            </li>
          ))}
        </ul>
      )}
      {status === 'completed' && (
        <>
          {p.finalDealValue && <p>Final deal value: {money(p.finalDealValue)}.</p>}
          {p.survey && (
            <p>
              Survey: {p.survey.answeredAt ? `answered, ${p.survey.score}/10${p.survey.comment ? ` — “${p.survey.comment}”` : ''}` : 'not answered yet'}.{' '}
              <span className="muted">Link to send: {p.survey.url}</span>
            </p>
          )}
          {p.review ? (
            <p>
              Your private review of the customer: {p.review.rating}/5{p.review.comment ? ` — “${p.review.comment}”` : ''}.
            </p>
          ) : (
            canAct && (
              <form
                className="inline-form"
                onSubmit={(e) => {
                  e.preventDefault();
                  void review.run({ input: { projectId: p.id, rating, comment: comment.trim() || null } });
                }}
              >
                <label>
                  Review the customer (private){' '}
                  <select value={rating} onChange={(e) => setRating(Number(e.target.value))}>
                    {[5, 4, 3, 2, 1].map((n) => (
                      <option key={n} value={n}>
                        {n}/5
                      </option>
                    ))}
                  </select>
                </label>
                <label>
                  Comment <input value={comment} onChange={(e) => setComment(e.target.value)} />
                </label>
                <button type="submit">Save the review</button>
              </form>
            )
          )}
        </>
      )}
      <Said problem={problem ?? accept.problem ?? decline.problem ?? progress.problem ?? secure.problem ?? link.problem ?? share.problem ?? complete.problem ?? review.problem} />
    </Panel>
  );
}

function CustomerPanel({ project: p, canAct }: { project: Project; canAct: boolean }) {
  const invite = useAction(ConsoleInviteCustomerDocument);
  const [email, setEmail] = useState(p.customer?.email ?? '');
  const [invitation, setInvitation] = useState<string | null>(null);
  const c = p.customer;
  return (
    <Panel title="Customer">
      {c ? (
        <dl className="pairs">
          <div>
            <dt>Name</dt>
            <dd>{c.name}</dd>
          </div>
          {c.company && (
            <div>
              <dt>Company</dt>
              <dd>{c.company}</dd>
            </div>
          )}
          {c.email && (
            <div>
              <dt>E-mail</dt>
              <dd>{c.email}</dd>
            </div>
          )}
          {c.phone && (
            <div>
              <dt>Phone</dt>
              <dd>{c.phone}</dd>
            </div>
          )}
        </dl>
      ) : (
        <p className="muted">No customer.</p>
      )}
      {canAct && c && (
        <form
          className="inline-form"
          onSubmit={async (e) => {
            e.preventDefault();
            const r = await invite.run({ input: { projectId: p.id, email: email.trim() } });
            if (r) setInvitation(r.inviteCustomer.url);
          }}
        >
          <label>
            Invite to the portal <input type="email" value={email} onChange={(e) => setEmail(e.target.value)} required />
          </label>
          <button type="submit">Create an invitation link</button>
        </form>
      )}
      {invitation && (
        <p className="invitation">
          Send this link to the customer (valid 7 days, once): <code>{invitation}</code>
        </p>
      )}
      <Said problem={invite.problem} />
    </Panel>
  );
}

/** What the customer sent through the portal: files, wishes, feedback pins. */
function CustomerWork({ project: p }: { project: Project }) {
  const pins = p.todos.filter((t) => t.kind === 'FEEDBACK');
  const answers = Object.entries(p.wishes?.answers ?? {});
  return (
    <Panel title="From the customer">
      <h3>Files</h3>
      <FileList files={p.files} />
      <h3>Wishes</h3>
      {p.wishes ? (
        <dl className="pairs">
          {answers.map(([k, v]) => (
            <div key={k}>
              <dt>{k}</dt>
              <dd>{typeof v === 'string' ? v : JSON.stringify(v)}</dd>
            </div>
          ))}
        </dl>
      ) : (
        <p className="muted">No wishes yet.</p>
      )}
      <h3>Feedback pins</h3>
      {pins.length === 0 ? (
        <p className="muted">No feedback.</p>
      ) : (
        <ul className="todos">
          {pins.map((t) => (
            <li key={t.id} className={t.done ? 'done' : ''}>
              {t.title} {t.pageURL && <span className="muted">on {t.pageURL}</span>}
            </li>
          ))}
        </ul>
      )}
    </Panel>
  );
}

function Timer({ project: p, running, canAct }: { project: Project; running: Data['runningTimer']; canAct: boolean }) {
  const start = useAction(ConsoleStartTimerDocument);
  const stop = useAction(ConsoleStopTimerDocument);
  const here = running?.project.id === p.id;
  return (
    <Panel title="Time">
      <p>Tracked: {duration(p.trackedSeconds)}.</p>
      {running && (
        <p role="status">
          Your timer is running{here ? ' here' : ` on ${running.project.title}`} since {when(running.startedAt)}.
        </p>
      )}
      {canAct && (
        <div className="actions">
          {here ? (
            <button type="button" onClick={() => void stop.run({})}>
              Stop the timer
            </button>
          ) : (
            <button type="button" onClick={() => void start.run({ projectId: p.id })}>
              Start a timer{running ? ' here (stops the other)' : ''}
            </button>
          )}
        </div>
      )}
      <Said problem={start.problem ?? stop.problem} />
    </Panel>
  );
}
