import { useEffect, useId, useMemo, useRef, useState } from 'react';
import { useQuery } from 'urql';
import { Link } from 'wouter';
import { BarController, BarElement, CategoryScale, Chart, LinearScale, Tooltip } from 'chart.js';
import { ConsoleCycleTimesDocument, ConsoleRunningTimerDocument, ConsoleStopTimerDocument, ConsoleTimeReportDocument, ConsoleWorkflowsDocument, type ConsoleTimeReportQuery, type TimeGroup } from '../gql/graphql';
import { Panel, Said, useAction } from '../components/panel';
import { inWords, refusalOf } from '../errors';
import { categoryNames, duration, when } from '../format';
import { serverURL } from '../base';
import { getToken } from '../session';

Chart.register(BarController, BarElement, CategoryScale, LinearScale, Tooltip);

type Report = ConsoleTimeReportQuery['timeReport'];
type Row = Report['rows'][number];

const groups: [TimeGroup, string][] = [
  ['STATUS', 'Status'],
  ['MEMBER', 'Member'],
  ['PROJECT', 'Project'],
  ['DAY', 'Day'],
  ['CATEGORY', 'Category'],
];

/** A date input's value (YYYY-MM-DD) for a day some days from today. */
function day(offset: number): string {
  const d = new Date();
  d.setDate(d.getDate() + offset);
  return d.toISOString().slice(0, 10);
}

function label(row: Row, by: TimeGroup): string {
  switch (by) {
    case 'STATUS':
      return row.status?.name ?? '—';
    case 'MEMBER':
      return row.member?.name ?? '—';
    case 'PROJECT':
      return row.project?.title ?? '—';
    case 'DAY':
      return row.day ?? '—';
    case 'CATEGORY':
      return row.category ? (categoryNames[row.category] ?? row.category) : '—';
  }
}

// Time: my running timer, and the time report grouped by status, member,
// project or day, as a bar chart and a table, with the cycle times and a
// CSV download of the same report.
export default function TimePage() {
  const [from, setFrom] = useState(day(-30));
  const [to, setTo] = useState(day(1));
  const [workflow, setWorkflow] = useState('');
  const [by, setBy] = useState<TimeGroup>('STATUS');
  const input = useMemo(
    () => ({ from: `${from}T00:00:00Z`, to: `${to}T00:00:00Z`, workflow: workflow || null, groupBy: [by] }),
    [from, to, workflow, by],
  );
  const [{ data: flows }] = useQuery({ query: ConsoleWorkflowsDocument });
  const [{ data, error, fetching }] = useQuery({
    query: ConsoleTimeReportDocument,
    variables: { input, byStatus: by === 'STATUS', byProject: by === 'PROJECT', byMember: by === 'MEMBER', byDay: by === 'DAY', byCategory: by === 'CATEGORY' },
    context: timeTypes,
  });
  const cycleInput = useMemo(() => ({ ...input, groupBy: ['STATUS' as TimeGroup] }), [input]);
  const [{ data: cycles }] = useQuery({ query: ConsoleCycleTimesDocument, variables: { input: cycleInput } });
  const cycleTimes = cycles?.timeReport.cycleTimes;
  const [download, setDownload] = useState<string | null>(null);
  const report = data?.timeReport;
  const ids = { from: useId(), to: useId(), workflow: useId() };

  async function csv() {
    setDownload(null);
    const q = new URLSearchParams({ from: input.from, to: input.to, groupBy: by });
    if (workflow) q.set('workflow', workflow);
    const r = await fetch(serverURL(`export/time.csv?${q}`), { headers: { Authorization: `Bearer ${getToken() ?? ''}` } });
    if (!r.ok) {
      const body = (await r.json().catch(() => null)) as { errors?: { message: string; extensions?: { code?: string } }[] } | null;
      const e = body?.errors?.[0];
      setDownload(e ? inWords({ code: e.extensions?.code ?? 'INTERNAL', message: e.message, details: {} }) : `The download failed (${r.status}).`);
      return;
    }
    const a = document.createElement('a');
    a.href = URL.createObjectURL(await r.blob());
    a.download = `time-report-${from}-${to}.csv`;
    a.click();
    URL.revokeObjectURL(a.href);
  }

  return (
    <section className="time-page" aria-labelledby="time-heading">
      <h1 id="time-heading">Time</h1>
      <RunningTimer />
      <Panel title="Report">
        <form className="inline-form" onSubmit={(e) => e.preventDefault()}>
          <label htmlFor={ids.from}>
            From <input id={ids.from} type="date" value={from} onChange={(e) => setFrom(e.target.value)} />
          </label>
          <label htmlFor={ids.to}>
            Until (not included) <input id={ids.to} type="date" value={to} onChange={(e) => setTo(e.target.value)} />
          </label>
          <label htmlFor={ids.workflow}>
            Workflow{' '}
            <select id={ids.workflow} value={workflow} onChange={(e) => setWorkflow(e.target.value)}>
              <option value="">All</option>
              {flows?.workflows.map((w) => (
                <option key={w.key} value={w.key}>
                  {w.name}
                </option>
              ))}
            </select>
          </label>
          <fieldset className="group-by">
            <legend>Grouped by</legend>
            {groups.map(([g, name]) => (
              <label key={g}>
                <input type="radio" name="group" value={g} checked={by === g} onChange={() => setBy(g)} /> {name}
              </label>
            ))}
          </fieldset>
          <button type="button" onClick={() => void csv()}>
            Download CSV
          </button>
        </form>
        <Said problem={download} />
        {!report && fetching && <p role="status">Loading the report…</p>}
        {!report && error && <Said problem={inWords(refusalOf(error)!)} />}
        {report && (
          <>
            <p className="total">
              Total: <strong>{duration(report.totalSeconds)}</strong> <span className="muted">(days in {report.timeZone})</span>
            </p>
            {report.rows.length === 0 ? (
              <p className="muted">No time in this period.</p>
            ) : (
              <>
                <BarChart rows={report.rows} by={by} />
                <table className="report">
                  <caption className="sr-only">Time by {by.toLowerCase()}</caption>
                  <thead>
                    <tr>
                      <th scope="col">{groups.find(([g]) => g === by)?.[1]}</th>
                      <th scope="col">Time</th>
                    </tr>
                  </thead>
                  <tbody>
                    {report.rows.map((r, i) => (
                      <tr key={i}>
                        <td>{by === 'PROJECT' && r.project ? <Link href={`/projects/${r.project.id}`}>{r.project.title}</Link> : label(r, by)}</td>
                        <td>{duration(r.seconds)}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </>
            )}
          </>
        )}
      </Panel>
      {cycleTimes && (
        <Panel title="Cycle times">
          {cycleTimes.length === 0 ? (
            <p className="muted">No visit of a status ended in this period.</p>
          ) : (
            <table className="report">
              <thead>
                <tr>
                  <th scope="col">Status</th>
                  <th scope="col">Visits</th>
                  <th scope="col">Median</th>
                  <th scope="col">90th percentile</th>
                </tr>
              </thead>
              <tbody>
                {cycleTimes.map((c) => (
                  <tr key={c.status.key}>
                    <td>{c.status.name}</td>
                    <td>{c.visits}</td>
                    <td>{duration(c.medianSeconds)}</td>
                    <td>{duration(c.p90Seconds)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </Panel>
      )}
    </section>
  );
}

// urql reads the report again after a mutation returning a TimeEntry
// (starting or stopping a timer), which the report's result does not hold.
const timeTypes = { additionalTypenames: ['TimeEntry'] };

function RunningTimer() {
  const [{ data }] = useQuery({ query: ConsoleRunningTimerDocument, context: timeTypes });
  const stop = useAction(ConsoleStopTimerDocument);
  const running = data?.runningTimer;
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    if (!running) return;
    const t = window.setInterval(() => setNow(Date.now()), 1000);
    return () => window.clearInterval(t);
  }, [running]);
  return (
    <Panel title="My timer">
      {running ? (
        <>
          <p role="status">
            Running on <Link href={`/projects/${running.project.id}`}>{running.project.title}</Link> ({running.status.name}) since {when(running.startedAt)}:{' '}
            <strong>{duration(Math.max(0, Math.floor((now - Date.parse(running.startedAt)) / 1000)))}</strong>
          </p>
          <div className="actions">
            <button type="button" onClick={() => void stop.run({})}>
              Stop the timer
            </button>
          </div>
        </>
      ) : (
        <p className="muted">No timer is running. Start one in a project's detail view.</p>
      )}
      <Said problem={stop.problem} />
    </Panel>
  );
}

/** The report's rows as bars; the table beside it holds the same numbers. */
function BarChart({ rows, by }: { rows: Row[]; by: TimeGroup }) {
  const canvas = useRef<HTMLCanvasElement>(null);
  useEffect(() => {
    if (!canvas.current) return;
    const chart = new Chart(canvas.current, {
      type: 'bar',
      data: {
        labels: rows.map((r) => label(r, by)),
        datasets: [{ label: 'Hours', data: rows.map((r) => Math.round((r.seconds / 3600) * 100) / 100), backgroundColor: '#0a58ca' }],
      },
      options: {
        animation: false,
        responsive: true,
        maintainAspectRatio: false,
        indexAxis: by === 'DAY' ? 'x' : 'y',
        plugins: { tooltip: { callbacks: { label: (c) => duration(rows[c.dataIndex].seconds) } } },
      },
    });
    return () => chart.destroy();
  }, [rows, by]);
  return (
    <div className="chart" style={{ height: `${Math.min(24, Math.max(8, rows.length * 1.8))}rem` }}>
      <canvas ref={canvas} role="img" aria-label={`Bar chart of the time by ${by.toLowerCase()}; the table below holds the same numbers.`} />
    </div>
  );
}
