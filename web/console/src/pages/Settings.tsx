import { useId, useState } from 'react';
import { useQuery } from 'urql';
import { Link } from 'wouter';
import {
  ConsoleCreateStatusDocument,
  ConsoleDeleteAutomationDocument,
  ConsoleDeleteStatusDocument,
  ConsoleMigrateStatusDocument,
  ConsoleRemoveMemberDocument,
  ConsoleReorderStatusesDocument,
  ConsoleSetDefaultStatusDocument,
  ConsoleSetStatusRulesDocument,
  ConsoleSettingsDocument,
  ConsoleTeamDocument,
  ConsoleUpdateMemberRoleDocument,
  ConsoleWebhooksDocument,
  ConsoleWorkflowsDocument,
  CreateAutomationDocument,
  CreateWebhookDocument,
  DeleteWebhookDocument,
  RotateWebhookSecretDocument,
  SetPortalFeatureDocument,
  SetStatusEnabledDocument,
  UpdateStatusDocument,
  UpdateWebhookDocument,
  WebhookDeliveriesDocument,
  type AutomationTrigger,
  type ConsoleSettingsQuery,
  type MemberRole,
  type PortalFeature,
  type StatusCategory,
} from '../gql/graphql';
import { Panel, Said, useAction } from '../components/panel';
import { categoryNames, when } from '../format';

type Flow = NonNullable<ConsoleSettingsQuery['workflow']>;
type Status = Flow['statuses'][number];

// Settings, for a tenant's admins: the statuses of each workflow, the
// portal features each status unlocks (the template's and the tenant's
// changes told apart), automations, the team, webhooks.

// urql reads the settings again after a mutation returning a type they
// hold; automations and webhooks may not be there yet.
const settingsTypes = { additionalTypenames: ['Status', 'Automation', 'Webhook'] };

export function SettingsPage({ workflow }: { workflow: string }) {
  const [{ data: flows }] = useQuery({ query: ConsoleWorkflowsDocument });
  const [{ data }] = useQuery({ query: ConsoleSettingsDocument, variables: { workflow }, context: settingsTypes });
  const flow = data?.workflow;
  return (
    <section className="settings" aria-labelledby="settings-heading">
      <div className="board-head">
        <h1 id="settings-heading">Settings</h1>
        <nav aria-label="Workflows" className="tabs">
          {flows?.workflows.map((w) => (
            <Link key={w.key} href={`/settings/${w.key}`} className={w.key === workflow ? 'active' : ''} aria-current={w.key === workflow ? 'page' : undefined}>
              {w.name}
            </Link>
          ))}
        </nav>
      </div>
      {!flow && <p role="status">Loading the settings…</p>}
      {flow && (
        <>
          <Statuses flow={flow} />
          <FeatureMatrix flow={flow} />
          <Automations flow={flow} />
        </>
      )}
      <Team />
      <Webhooks />
    </section>
  );
}

// Statuses change what many queries hold; deleting one answers its key
// only, migrating a count: urql is told which queries to read again.
const statusChanges = { typenames: ['Status', 'Workflow', 'Project'] };

function Statuses({ flow }: { flow: Flow }) {
  const reorder = useAction(ConsoleReorderStatusesDocument, statusChanges);
  const setDefault = useAction(ConsoleSetDefaultStatusDocument);
  const keys = flow.statuses.map((s) => s.key);
  // Every status of the workflow, in its new order (the mutation wants them all).
  function move(index: number, by: -1 | 1) {
    const next = [...keys];
    [next[index], next[index + by]] = [next[index + by], next[index]];
    void reorder.run({ workflow: flow.key, keys: next });
  }
  return (
    <Panel title={`Statuses of ${flow.name}`}>
      <p className="muted">
        A mandatory status cannot be disabled; a status can be disabled once no project is in it (archived ones included). Disabled statuses leave the board but
        stay in the history. A status the agency added may be deleted while it has never held a project.
      </p>
      <div className="inline-form">
        <label>
          Default for new projects{' '}
          <select
            value={flow.defaultStatus?.key ?? ''}
            disabled={setDefault.pending}
            onChange={(e) => e.target.value && void setDefault.run({ workflow: flow.key, status: e.target.value })}
          >
            {!flow.defaultStatus && <option value="">None</option>}
            {flow.statuses
              .filter((s) => s.enabled)
              .map((s) => (
                <option key={s.key} value={s.key}>
                  {s.name}
                </option>
              ))}
          </select>
        </label>
        <span className="muted default-status">
          {flow.defaultStatus ? `New projects start in ${flow.statuses.find((s) => s.key === flow.defaultStatus?.key)?.name ?? flow.defaultStatus.key}.` : ''}
        </span>
      </div>
      <Said problem={setDefault.problem} />
      <table className="report statuses">
        <thead>
          <tr>
            <th scope="col">Enabled</th>
            <th scope="col">Name</th>
            <th scope="col">Colour</th>
            <th scope="col">Category</th>
            <th scope="col">WIP limit</th>
            <th scope="col">Projects</th>
            <th scope="col">
              <span className="sr-only">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {flow.statuses.map((s, i) => (
            <StatusRow
              key={s.id}
              flow={flow}
              status={s}
              onUp={i > 0 ? () => move(i, -1) : undefined}
              onDown={i < keys.length - 1 ? () => move(i, 1) : undefined}
              moving={reorder.pending}
            />
          ))}
        </tbody>
      </table>
      <Said problem={reorder.problem} />
      <NewStatus flow={flow} />
    </Panel>
  );
}

const columnCount = 7;

function StatusRow({ flow, status: s, onUp, onDown, moving }: { flow: Flow; status: Status; onUp?: () => void; onDown?: () => void; moving: boolean }) {
  const enable = useAction(SetStatusEnabledDocument);
  const update = useAction(UpdateStatusDocument);
  const remove = useAction(ConsoleDeleteStatusDocument, statusChanges);
  const [name, setName] = useState(s.name);
  const [color, setColor] = useState(s.color);
  const [wip, setWip] = useState(s.wipLimit ? String(s.wipLimit) : '');
  const [saved, setSaved] = useState<string | null>(null);
  const ids = { name: useId(), color: useId(), wip: useId() };
  const problem = enable.problem ?? update.problem ?? remove.problem;
  return (
    <>
      <tr data-status={s.key}>
        <td>
          <label>
            <input
              type="checkbox"
              checked={s.enabled}
              disabled={s.mandatory || enable.pending}
              onChange={(e) => void enable.run({ workflow: flow.key, status: s.key, enabled: e.target.checked })}
            />
            <span className="sr-only">{s.name} enabled</span>
          </label>
          {s.mandatory && <span className="tag neutral">mandatory</span>}
          {s.custom && <span className="tag neutral">added</span>}
        </td>
        <td>
          <label htmlFor={ids.name} className="sr-only">
            Name of {s.key}
          </label>
          <input id={ids.name} value={name} onChange={(e) => setName(e.target.value)} />
        </td>
        <td>
          <label htmlFor={ids.color} className="sr-only">
            Colour of {s.name}
          </label>
          <input id={ids.color} type="color" value={color} onChange={(e) => setColor(e.target.value)} />
        </td>
        <td className="category">{categoryNames[s.category]}</td>
        <td>
          <label htmlFor={ids.wip} className="sr-only">
            WIP limit of {s.name} (empty: none)
          </label>
          <input id={ids.wip} type="number" min={0} value={wip} onChange={(e) => setWip(e.target.value)} size={4} />
        </td>
        <td>{s.projectCount}</td>
        <td>
          <div className="row-actions">
            <button
              type="button"
              onClick={async () => {
                setSaved(null);
                const limit = wip.trim() === '' ? 0 : Number(wip);
                if (!Number.isInteger(limit) || limit < 0) {
                  update.say('The WIP limit is a whole number (empty or 0: no limit).');
                  return;
                }
                if (await update.run({ input: { workflow: flow.key, status: s.key, name: name.trim(), color, wipLimit: limit } })) setSaved('Saved.');
              }}
            >
              Save<span className="sr-only"> {s.name}</span>
            </button>
            <button type="button" className="secondary" disabled={!onUp || moving} onClick={onUp}>
              Move<span className="sr-only"> {s.name}</span> up
            </button>
            <button type="button" className="secondary" disabled={!onDown || moving} onClick={onDown}>
              Move<span className="sr-only"> {s.name}</span> down
            </button>
            {s.custom && (
              <button type="button" className="danger" disabled={remove.pending} onClick={() => void remove.run({ workflow: flow.key, status: s.key })}>
                Delete<span className="sr-only"> {s.name}</span>
              </button>
            )}
          </div>
        </td>
      </tr>
      {(problem || saved) && (
        <tr>
          <td colSpan={columnCount}>
            <Said problem={problem} done={saved} />
          </td>
        </tr>
      )}
      <tr className="status-more" data-status-more={s.key}>
        <td colSpan={columnCount}>
          <StatusRules flow={flow} status={s} />
          <MigrateStatus flow={flow} status={s} />
        </td>
      </tr>
    </>
  );
}

/** The project fields a status may require (the engine's names). */
const requirable: [string, string][] = [
  ['customer', 'a customer'],
  ['customer.company', 'the customer’s company'],
  ['customer.email', 'the customer’s e-mail'],
  ['customer.phone', 'the customer’s phone'],
  ['assignee', 'an assignee'],
];

const roles: MemberRole[] = ['OWNER', 'ADMIN', 'MEMBER', 'VIEWER'];

/** A status's rules in a sentence, for its summary. */
function rulesInWords(s: Status): string {
  const needs = s.requiredFields.map((f) => requirable.find(([k]) => k === f)?.[1] ?? f);
  const who = s.enterRoles.length ? `only ${s.enterRoles.map((r) => r.toLowerCase()).join(', ')} may move projects in` : 'every role that moves may move projects in';
  return `${needs.length ? `needs ${needs.join(', ')}` : 'needs nothing'}; ${who}`;
}

function StatusRules({ flow, status: s }: { flow: Flow; status: Status }) {
  const save = useAction(ConsoleSetStatusRulesDocument);
  const [fields, setFields] = useState<string[]>(s.requiredFields);
  const [enter, setEnter] = useState<MemberRole[]>(s.enterRoles);
  const [done, setDone] = useState<string | null>(null);
  const toggle = <T,>(list: T[], x: T, on: boolean) => (on ? [...list, x] : list.filter((y) => y !== x));
  return (
    <details className="rules">
      <summary>
        Rules of {s.name}: <span className="muted">{rulesInWords(s)}</span>
      </summary>
      <form
        className="stacked"
        onSubmit={async (e) => {
          e.preventDefault();
          setDone(null);
          if (await save.run({ input: { workflow: flow.key, status: s.key, requiredFields: fields, enterRoles: enter } })) setDone('The rules are saved.');
        }}
      >
        <fieldset className="choices">
          <legend>Before a project enters {s.name}, it needs</legend>
          {requirable.map(([k, words]) => (
            <label key={k} className="check">
              <input type="checkbox" checked={fields.includes(k)} onChange={(e) => setFields(toggle(fields, k, e.target.checked))} /> {words}
            </label>
          ))}
        </fieldset>
        <fieldset className="choices">
          <legend>Roles that may move projects into {s.name} (none ticked: every role that may move)</legend>
          {roles.map((r) => (
            <label key={r} className="check">
              <input type="checkbox" checked={enter.includes(r)} onChange={(e) => setEnter(toggle(enter, r, e.target.checked))} /> {r.toLowerCase()}
            </label>
          ))}
        </fieldset>
        <div className="actions">
          <button type="submit" disabled={save.pending}>
            Save the rules<span className="sr-only"> of {s.name}</span>
          </button>
        </div>
        <Said problem={save.problem} done={done} />
      </form>
    </details>
  );
}

/** Moves every project of a status to another, e.g. before disabling it (offered while it has projects). */
function MigrateStatus({ flow, status: s }: { flow: Flow; status: Status }) {
  const migrate = useAction(ConsoleMigrateStatusDocument, statusChanges);
  const others = flow.statuses.filter((x) => x.enabled && x.key !== s.key);
  const [to, setTo] = useState(others[0]?.key ?? '');
  const [done, setDone] = useState<string | null>(null);
  // Once emptied, the status keeps saying how many moved.
  if (others.length === 0 || (s.projectCount === 0 && !done)) return null;
  if (s.projectCount === 0) return <Said problem={null} done={done} />;
  return (
    <form
      className="inline-form migrate"
      onSubmit={async (e) => {
        e.preventDefault();
        setDone(null);
        const r = await migrate.run({ workflow: flow.key, from: s.key, to });
        if (r) setDone(`${r.migrateStatus} project(s) moved to ${others.find((x) => x.key === to)?.name ?? to}.`);
      }}
    >
      <label>
        Move all projects of {s.name} to{' '}
        <select value={to} onChange={(e) => setTo(e.target.value)}>
          {others.map((x) => (
            <option key={x.key} value={x.key}>
              {x.name}
            </option>
          ))}
        </select>
      </label>
      <button type="submit" className="secondary" disabled={migrate.pending}>
        Move the projects<span className="sr-only"> of {s.name}</span>
      </button>
      <Said problem={migrate.problem} done={done} />
    </form>
  );
}

const categories = Object.keys(categoryNames) as StatusCategory[];

function NewStatus({ flow }: { flow: Flow }) {
  const create = useAction(ConsoleCreateStatusDocument, statusChanges);
  const [key, setKey] = useState('');
  const [name, setName] = useState('');
  const [color, setColor] = useState('#8250df');
  const [category, setCategory] = useState<StatusCategory>('IN_PROGRESS');
  // '' follows the last status, whichever it is by then.
  const [after, setAfter] = useState('');
  const [done, setDone] = useState<string | null>(null);
  const last = flow.statuses[flow.statuses.length - 1]?.key ?? '';
  return (
    <form
      className="stacked new-status"
      onSubmit={async (e) => {
        e.preventDefault();
        setDone(null);
        const input = { workflow: flow.key, key: key.trim(), name: name.trim(), color, category, after: after || last || null };
        if (await create.run({ input })) {
          setDone(`${input.name} is added.`);
          setKey('');
          setName('');
          setAfter('');
        }
      }}
    >
      <h3>Add a status</h3>
      <div className="inline-form">
        <label>
          Key (lower case)
          <input value={key} onChange={(e) => setKey(e.target.value)} required placeholder="audit" />
        </label>
        <label>
          Name
          <input value={name} onChange={(e) => setName(e.target.value)} required />
        </label>
        <label>
          Colour
          <input type="color" value={color} onChange={(e) => setColor(e.target.value)} />
        </label>
        <label>
          Category
          <select value={category} onChange={(e) => setCategory(e.target.value as StatusCategory)}>
            {categories.map((c) => (
              <option key={c} value={c}>
                {categoryNames[c]}
              </option>
            ))}
          </select>
        </label>
        <label>
          After
          <select value={after || last} onChange={(e) => setAfter(e.target.value)}>
            {flow.statuses.map((s) => (
              <option key={s.key} value={s.key}>
                {s.name}
              </option>
            ))}
          </select>
        </label>
        <button type="submit" disabled={create.pending}>
          Add the status
        </button>
      </div>
      <Said problem={create.problem} done={done} />
    </form>
  );
}

const features: [PortalFeature, string][] = [
  ['FILE_MANAGER', 'Files'],
  ['WISHES', 'Wishes'],
  ['MY_DATA', 'My data'],
  ['EMAILS', 'E-mails'],
  ['FEEDBACK', 'Feedback'],
  ['STATISTICS', 'Statistics'],
  ['STORE', 'Store'],
];

/** The settings overview: what each status unlocks in the customer portal. */
function FeatureMatrix({ flow }: { flow: Flow }) {
  const set = useAction(SetPortalFeatureDocument);
  return (
    <Panel title="Customer portal: what each status unlocks">
      <p className="muted">
        Ticked: unlocked. <span className="changed-sample">Outlined</span> cells are this agency’s changes to the template’s defaults.
      </p>
      <div className="matrix-wrap">
        <table className="matrix">
          <thead>
            <tr>
              <th scope="col">Status</th>
              {features.map(([f, name]) => (
                <th key={f} scope="col">
                  {name}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {flow.statuses
              .filter((s) => s.enabled)
              .map((s) => (
                <tr key={s.key}>
                  <th scope="row">{s.name}</th>
                  {features.map(([f, name]) => {
                    const on = s.portalFeatures.includes(f);
                    const changed = on !== s.templatePortalFeatures.includes(f);
                    return (
                      <td key={f} className={changed ? 'changed' : ''}>
                        <label>
                          <input
                            type="checkbox"
                            checked={on}
                            disabled={set.pending}
                            data-feature={`${s.key}/${f}`}
                            onChange={(e) => void set.run({ workflow: flow.key, status: s.key, feature: f, enabled: e.target.checked })}
                          />
                          <span className="sr-only">
                            {name} in {s.name}
                            {changed ? `, changed from the template (${on ? 'locked' : 'unlocked'} there)` : ''}
                          </span>
                        </label>
                      </td>
                    );
                  })}
                </tr>
              ))}
          </tbody>
        </table>
      </div>
      <Said problem={set.problem} />
    </Panel>
  );
}

/** What fires an automation, in words ("When a project enters …"). */
const triggerWords: Record<AutomationTrigger, string> = {
  ENTER: 'When a project enters',
  LEAVE: 'When a project leaves',
  WISHES_SUBMITTED: 'When the customer submits wishes in',
  FILE_UPLOADED: 'When a file is uploaded in',
  FEEDBACK_PINNED: 'When the customer pins feedback in',
};

function Automations({ flow }: { flow: Flow }) {
  const create = useAction(CreateAutomationDocument);
  const remove = useAction(ConsoleDeleteAutomationDocument, { typenames: ['Automation'] });
  const enabled = flow.statuses.filter((s) => s.enabled);
  const [status, setStatus] = useState(enabled[0]?.key ?? '');
  const [on, setOn] = useState<AutomationTrigger>('ENTER');
  const [todos, setTodos] = useState([{ title: '', blocking: true }]);
  const [done, setDone] = useState<string | null>(null);
  return (
    <Panel title="Automations">
      {flow.automations.length === 0 ? (
        <p className="muted">No automations yet.</p>
      ) : (
        <ul className="automations">
          {flow.automations.map((a) => (
            <li key={a.id}>
              {triggerWords[a.trigger]} <strong>{a.status.name}</strong>:{' '}
              {a.todos.map((t) => `“${t.title}”${t.blocking ? ' (blocking)' : ''}`).join(', ')}{' '}
              <button type="button" className="link danger-link" disabled={remove.pending} onClick={() => void remove.run({ id: a.id })}>
                Delete<span className="sr-only"> the automation: {triggerWords[a.trigger].toLowerCase()} {a.status.name}</span>
              </button>
            </li>
          ))}
        </ul>
      )}
      <form
        className="stacked"
        onSubmit={async (e) => {
          e.preventDefault();
          setDone(null);
          const list = todos.filter((t) => t.title.trim()).map((t) => ({ title: t.title.trim(), blocking: t.blocking }));
          if (list.length === 0) {
            create.say('Write at least one to-do.');
            return;
          }
          if (await create.run({ input: { workflow: flow.key, status, on, todos: list } })) {
            setTodos([{ title: '', blocking: true }]);
            setDone('The automation is on.');
          }
        }}
      >
        <h3>New automation</h3>
        <div className="inline-form">
          <label>
            When{' '}
            <select value={on} onChange={(e) => setOn(e.target.value as AutomationTrigger)}>
              {(Object.keys(triggerWords) as AutomationTrigger[]).map((t) => (
                <option key={t} value={t}>
                  {triggerWords[t].replace(/^When /, '')}
                </option>
              ))}
            </select>
          </label>
          <label>
            the status{' '}
            <select value={status} onChange={(e) => setStatus(e.target.value)}>
              {enabled.map((s) => (
                <option key={s.key} value={s.key}>
                  {s.name}
                </option>
              ))}
            </select>
          </label>
        </div>
        {todos.map((t, i) => (
          <div key={i} className="inline-form">
            <label>
              To-do {i + 1}
              <input value={t.title} onChange={(e) => setTodos(todos.map((x, j) => (j === i ? { ...x, title: e.target.value } : x)))} />
            </label>
            <label className="check">
              <input type="checkbox" checked={t.blocking} onChange={(e) => setTodos(todos.map((x, j) => (j === i ? { ...x, blocking: e.target.checked } : x)))} />{' '}
              blocking
            </label>
          </div>
        ))}
        <div className="actions">
          <button type="button" className="secondary" onClick={() => setTodos([...todos, { title: '', blocking: false }])}>
            Another to-do
          </button>
          <button type="submit" disabled={create.pending}>
            Create the automation
          </button>
        </div>
      </form>
      <Said problem={remove.problem ?? create.problem} done={done} />
    </Panel>
  );
}

// Who may change whom is the server's: an ADMIN touching an OWNER, or
// the last OWNER, is refused and said here in words.
const teamWords = {
  typenames: ['Member'],
  words: (r: { code: string }) => (r.code === 'FORBIDDEN' ? 'Only an OWNER may make or unmake an OWNER.' : null),
};

function Team() {
  const [{ data }] = useQuery({ query: ConsoleTeamDocument });
  const setRole = useAction(ConsoleUpdateMemberRoleDocument, teamWords);
  const remove = useAction(ConsoleRemoveMemberDocument, teamWords);
  const [done, setDone] = useState<string | null>(null);
  return (
    <Panel title="Team">
      <p className="muted">
        The embedding platform adds members. A removed member can no longer sign in; their time and history stay theirs, and adding them again brings them back.
      </p>
      <table className="report team">
        <thead>
          <tr>
            <th scope="col">Name</th>
            <th scope="col">Role</th>
            <th scope="col">E-mail</th>
            <th scope="col">Platform ID</th>
            <th scope="col">
              <span className="sr-only">Remove</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {data?.members.map((m) => (
            <tr key={m.id} data-member={m.externalId}>
              <td>{m.name}</td>
              <td>
                <label>
                  <span className="sr-only">Role of {m.name}</span>
                  <select
                    value={m.role}
                    disabled={setRole.pending}
                    onChange={async (e) => {
                      setDone(null);
                      const r = await setRole.run({ memberId: m.id, role: e.target.value as MemberRole });
                      if (r) setDone(`${m.name} is now ${r.updateMemberRole.role.toLowerCase()}.`);
                    }}
                  >
                    {roles.map((r) => (
                      <option key={r} value={r}>
                        {r.toLowerCase()}
                      </option>
                    ))}
                  </select>
                </label>
              </td>
              <td>{m.email ?? ''}</td>
              <td>{m.externalId}</td>
              <td>
                <button
                  type="button"
                  className="secondary"
                  disabled={remove.pending}
                  onClick={async () => {
                    setDone(null);
                    if (await remove.run({ memberId: m.id })) setDone(`${m.name} is removed.`);
                  }}
                >
                  Remove<span className="sr-only"> {m.name}</span>
                </button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <Said problem={setRole.problem ?? remove.problem} done={done} />
    </Panel>
  );
}

/** The event types an endpoint may subscribe to (the contract's). */
const eventTypes = [
  'project.created',
  'project.moved',
  'project.updated',
  'project.archived',
  'todo.created',
  'todo.completed',
  'portal.wishes_submitted',
  'portal.file_uploaded',
  'portal.feedback_pinned',
  'payment.paid',
  'survey.answered',
  'webhook.disabled',
];

function Webhooks() {
  const [{ data }] = useQuery({ query: ConsoleWebhooksDocument, context: settingsTypes });
  const create = useAction(CreateWebhookDocument);
  const update = useAction(UpdateWebhookDocument);
  const remove = useAction(DeleteWebhookDocument);
  const rotate = useAction(RotateWebhookSecretDocument);
  const [url, setUrl] = useState('');
  const [events, setEvents] = useState<string[]>([]);
  const [description, setDescription] = useState('');
  const [secret, setSecret] = useState<{ url: string; secret: string } | null>(null);
  const [open, setOpen] = useState<string | null>(null);
  const urlField = useId();
  return (
    <Panel title="Webhooks">
      {secret && (
        <p className="banner" role="status">
          The signing secret of {secret.url}, shown this once: <code>{secret.secret}</code>
        </p>
      )}
      {data && data.webhooks.length === 0 && <p className="muted">No endpoints yet.</p>}
      {data && data.webhooks.length > 0 && (
        <ul className="webhooks">
          {data.webhooks.map((w) => (
            <li key={w.id}>
              <div className="inline-form">
                <code>{w.url}</code>
                <span className="muted">{w.events?.length ? w.events.join(', ') : 'all events'}</span>
                <label className="check">
                  <input type="checkbox" checked={w.enabled} onChange={(e) => void update.run({ input: { id: w.id, enabled: e.target.checked } })} /> enabled
                </label>
                <button type="button" className="secondary" onClick={() => setOpen(open === w.id ? null : w.id)} aria-expanded={open === w.id}>
                  Deliveries
                </button>
                <button
                  type="button"
                  className="secondary"
                  onClick={async () => {
                    const r = await rotate.run({ id: w.id });
                    if (r?.rotateWebhookSecret.secret) setSecret({ url: w.url, secret: r.rotateWebhookSecret.secret });
                  }}
                >
                  New secret
                </button>
                <button type="button" className="danger" onClick={() => void remove.run({ id: w.id })}>
                  Delete
                </button>
              </div>
              {w.disabledReason && <p className="refusal">Disabled by Lanes: {w.disabledReason}</p>}
              {open === w.id && <Deliveries id={w.id} />}
            </li>
          ))}
        </ul>
      )}
      <form
        className="stacked"
        onSubmit={async (e) => {
          e.preventDefault();
          setSecret(null);
          const r = await create.run({ input: { url: url.trim(), events, description: description.trim() || null } });
          if (r?.createWebhook.secret) {
            setSecret({ url: r.createWebhook.url, secret: r.createWebhook.secret });
            setUrl('');
            setEvents([]);
            setDescription('');
          }
        }}
      >
        <h3>New endpoint</h3>
        <label htmlFor={urlField}>URL (https://)</label>
        <input id={urlField} type="url" value={url} onChange={(e) => setUrl(e.target.value)} required placeholder="https://example.com/lanes" />
        <fieldset className="events">
          <legend>Events (none ticked: all)</legend>
          {eventTypes.map((t) => (
            <label key={t} className="check">
              <input type="checkbox" checked={events.includes(t)} onChange={(e) => setEvents(e.target.checked ? [...events, t] : events.filter((x) => x !== t))} /> {t}
            </label>
          ))}
        </fieldset>
        <label>
          Description
          <input value={description} onChange={(e) => setDescription(e.target.value)} />
        </label>
        <button type="submit" disabled={create.pending}>
          Add the endpoint
        </button>
      </form>
      <Said problem={create.problem ?? update.problem ?? remove.problem ?? rotate.problem} />
    </Panel>
  );
}

function Deliveries({ id }: { id: string }) {
  const [{ data }] = useQuery({ query: WebhookDeliveriesDocument, variables: { id }, requestPolicy: 'network-only' });
  const node = data?.node && 'deliveries' in data.node ? data.node : null;
  const list = (node?.deliveries.edges ?? []).flatMap((e) => (e?.node ? [e.node] : []));
  if (!node) return <p role="status">Loading the deliveries…</p>;
  if (list.length === 0) return <p className="muted">No delivery yet.</p>;
  return (
    <table className="report">
      <caption className="sr-only">Latest deliveries</caption>
      <thead>
        <tr>
          <th scope="col">When</th>
          <th scope="col">Event</th>
          <th scope="col">Attempt</th>
          <th scope="col">Answer</th>
        </tr>
      </thead>
      <tbody>
        {list.map((d) => (
          <tr key={d.id}>
            <td>{when(d.at)}</td>
            <td>{d.event.type}</td>
            <td>{d.attempt}</td>
            <td>{d.succeeded ? `delivered (${d.statusCode})` : `failed${d.statusCode ? ` (${d.statusCode})` : ''}`}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
