import { memo, useCallback, useEffect, useLayoutEffect, useMemo, useRef, useState } from 'react';
import { useClient, useMutation, useQuery, useSubscription } from 'urql';
import { Link } from 'wouter';
import {
  DndContext,
  DragOverlay,
  KeyboardSensor,
  PointerSensor,
  closestCorners,
  useDroppable,
  useSensor,
  useSensors,
  type Announcements,
  type DragEndEvent,
  type DragOverEvent,
  type DragStartEvent,
} from '@dnd-kit/core';
import { SortableContext, arrayMove, sortableKeyboardCoordinates, useSortable, verticalListSortingStrategy } from '@dnd-kit/sortable';
import { CSS } from '@dnd-kit/utilities';
import {
  BoardEventsDocument,
  ConsoleAssigneesDocument,
  ConsoleBoardColumnDocument,
  ConsoleBoardDocument,
  ConsoleMovesDocument,
  ConsoleOpenTodosDocument,
  ConsoleWorkflowsDocument,
  MoveProjectDocument,
  type ConsoleBoardQuery,
  type MemberRole,
} from '../gql/graphql';
import { inWords, refusalOf, type Refusal } from '../errors';
import { useConnection } from '../connection';
import { categoryNames, progressName } from '../format';

type Edge = NonNullable<NonNullable<ConsoleBoardQuery['board']['columns'][number]['projects']['edges']>[number]>;
type Card = NonNullable<Edge['node']>;

/** The cards of a page of a column (ent's connections may hold nulls). */
function cardsOf(edges: ReadonlyArray<{ node?: Card | null } | null> | null | undefined): Card[] {
  return (edges ?? []).flatMap((e) => (e?.node ? [e.node] : []));
}
type Column = {
  key: string;
  name: string;
  color: string;
  wipLimit: number | null;
  total: number;
  cards: Card[];
  hasNext: boolean;
  endCursor: string | null;
};

/** How many cards a column shows at first, and loads at a time. */
const pageSize = 20;

const columnPrefix = 'column:';

function columnsOf(board: ConsoleBoardQuery['board']): Column[] {
  return board.columns.map((c) => ({
    key: c.status.key,
    name: c.status.name,
    color: c.status.color,
    wipLimit: c.status.wipLimit ?? null,
    total: c.totalCount,
    cards: cardsOf(c.projects.edges),
    hasNext: c.projects.pageInfo.hasNextPage,
    endCursor: c.projects.pageInfo.endCursor ?? null,
  }));
}

function columnOf(columns: Column[], id: string): Column | undefined {
  if (id.startsWith(columnPrefix)) return columns.find((c) => c.key === id.slice(columnPrefix.length));
  return columns.find((c) => c.cards.some((card) => card.id === id));
}

/** Where a card was refused to go, in words, shown next to it. */
type Notice = { cardId: string; text: string; conflict?: boolean };

export function BoardPage({ workflow, archived, role }: { workflow: string; archived: boolean; role: MemberRole | null }) {
  const canMove = !archived && role !== 'VIEWER' && role !== null;
  const [{ data: flows }] = useQuery({ query: ConsoleWorkflowsDocument });
  const [{ data: team }] = useQuery({ query: ConsoleAssigneesDocument });
  // '': every card; else one member's.
  const [assignee, setAssignee] = useState('');
  const [{ data, error, fetching }, reexecute] = useQuery({
    query: ConsoleBoardDocument,
    variables: { workflow, archived, assignee: assignee || undefined, first: pageSize },
  });
  const [columns, setColumns] = useState<Column[]>([]);
  const [notice, setNotice] = useState<Notice | null>(null);
  const dragging = useRef(false);
  const stale = useRef(false);
  const dataArrived = useRef(false);

  // A board read anew replaces the one shown, except in the middle of a
  // drag: it waits for the drop.
  useEffect(() => {
    if (!data) return;
    if (dragging.current) {
      stale.current = true;
      return;
    }
    performance.mark('board-data');
    dataArrived.current = true;
    setColumns(columnsOf(data.board));
  }, [data]);
  // The render of a board, from its data to the screen, measured for the
  // browser tests (performance timeline, "board-render").
  useLayoutEffect(() => {
    if (!dataArrived.current) return;
    dataArrived.current = false;
    requestAnimationFrame(() => performance.measure('board-render', 'board-data'));
  }, [columns]);

  const refresh = useCallback(() => {
    if (dragging.current) stale.current = true;
    else reexecute({ requestPolicy: 'network-only' });
  }, [reexecute]);

  // Live: other people's moves arrive as board events; the board is read
  // again (a little later, once for a burst), and after a reconnection or
  // when the window comes back.
  const timer = useRef<number | undefined>(undefined);
  const soon = useCallback(() => {
    window.clearTimeout(timer.current);
    timer.current = window.setTimeout(refresh, 150);
  }, [refresh]);
  useSubscription({ query: BoardEventsDocument, variables: { workflow }, pause: archived }, (_, event) => {
    soon();
    return event;
  });
  const connection = useConnection();
  useEffect(() => connection.onReconnect(soon), [connection, soon]);
  useEffect(() => {
    window.addEventListener('focus', soon);
    return () => window.removeEventListener('focus', soon);
  }, [soon]);
  useEffect(() => () => window.clearTimeout(timer.current), []);

  const [, move] = useMutation(MoveProjectDocument);
  const client = useClient();

  const explain = useCallback(
    async (card: Card, to: Column, refusal: Refusal): Promise<Notice> => {
      switch (refusal.code) {
        case 'WIP_LIMIT':
          return { cardId: card.id, text: `“${to.name}” is full: its WIP limit is ${String(refusal.details.wipLimit ?? to.wipLimit)}.` };
        case 'CHECKLIST_INCOMPLETE': {
          const r = await client.query(ConsoleOpenTodosDocument, { id: card.id }, { requestPolicy: 'network-only' }).toPromise();
          const node = r.data?.node;
          const p = node && 'todos' in node ? node : null;
          const open = (p?.todos ?? []).filter((t) => t.blocking && !t.done && t.status.key === p?.status.key).map((t) => `“${t.title}”`);
          return {
            cardId: card.id,
            text: open.length
              ? `Open to-dos block moving on from ${p?.status.name ?? 'this status'}: ${open.join(', ')}.`
              : 'Open blocking to-dos keep this project from moving on.',
          };
        }
        case 'CONFLICT':
          return { cardId: card.id, text: 'Someone changed this project meanwhile.', conflict: true };
        case 'STATUS_DISABLED':
          return { cardId: card.id, text: `“${to.name}” is disabled.` };
        case 'FORBIDDEN':
          return {
            cardId: card.id,
            text: refusal.details.status ? `Your role may not move projects into “${to.name}”.` : 'Your role may not move projects.',
          };
        default:
          return { cardId: card.id, text: inWords(refusal) };
      }
    },
    [client],
  );

  /**
   * Moves a card to the column toKey, already shown where it goes in
   * after (when it is loaded there), and undoes it if refused.
   */
  const commit = useCallback(
    async (card: Card, toKey: string, before: Column[], after: Column[]) => {
      const to = after.find((c) => c.key === toKey)!;
      const from = columnOf(before, card.id)!;
      const index = to.cards.findIndex((c) => c.id === card.id);
      // The drop's neighbours; none when the card went beyond the loaded
      // cards (the server puts it at the end).
      const neighbour =
        index < 0 ? {} : index > 0 ? { after: to.cards[index - 1].id } : to.cards[index + 1] ? { before: to.cards[index + 1].id } : {};
      setNotice(null);
      const result = await move({ input: { id: card.id, to: to.key, expectedVersion: card.version, ...neighbour } });
      const refusal = refusalOf(result.error);
      if (refusal) {
        setColumns(before);
        setNotice(await explain(card, to, refusal));
        return;
      }
      const moved = result.data?.moveProject;
      setColumns((cols) =>
        cols.map((c) => ({
          ...c,
          total: c.key === from.key && c.key !== to.key ? c.total - 1 : c.key === to.key && c.key !== from.key ? c.total + 1 : c.total,
          cards: c.cards.map((x) => (x.id === card.id && moved ? { ...x, version: moved.version } : x)),
        })),
      );
    },
    [move, explain],
  );

  const sensors = useSensors(
    useSensor(PointerSensor, { activationConstraint: { distance: 5 } }),
    useSensor(KeyboardSensor, { coordinateGetter: sortableKeyboardCoordinates }),
  );
  const [active, setActive] = useState<Card | null>(null);
  const snapshot = useRef<Column[]>([]);

  function onDragStart(e: DragStartEvent) {
    dragging.current = true;
    snapshot.current = columns;
    setNotice(null);
    setActive(columns.flatMap((c) => c.cards).find((c) => c.id === e.active.id) ?? null);
    void greyOut(String(e.active.id));
  }

  // The columns the dragged card may not enter, with why (the server's
  // verdicts, asked once per drag; the drop is judged again anyway).
  const [blocked, setBlocked] = useState<Record<string, string>>({});
  async function greyOut(projectId: string) {
    const r = await client.query(ConsoleMovesDocument, { projectId }, { requestPolicy: 'network-only' }).toPromise();
    if (!dragging.current || !r.data) return;
    const why: Record<string, string> = {};
    for (const v of r.data.transitionPreviews) {
      const first = v.reasons[0];
      if (!v.allowed && first) why[v.status.key] = inWords({ code: first.code, message: first.message, details: (first.details ?? {}) as Record<string, unknown> });
    }
    setBlocked(why);
  }

  // Across columns the card follows the pointer at once; within one,
  // the sortable strategy shows where it would land.
  function onDragOver({ active: a, over }: DragOverEvent) {
    if (!over) return;
    setColumns((cols) => {
      const from = columnOf(cols, String(a.id));
      const to = columnOf(cols, String(over.id));
      if (!from || !to || from.key === to.key) return cols;
      const card = from.cards.find((c) => c.id === a.id)!;
      const overIndex = to.cards.findIndex((c) => c.id === over.id);
      const at = overIndex < 0 ? to.cards.length : overIndex;
      return cols.map((c) => {
        if (c.key === from.key) return { ...c, cards: c.cards.filter((x) => x.id !== a.id) };
        if (c.key === to.key) return { ...c, cards: [...c.cards.slice(0, at), card, ...c.cards.slice(at)] };
        return c;
      });
    });
  }

  function finishDrag() {
    dragging.current = false;
    setActive(null);
    setBlocked({});
    if (stale.current) {
      stale.current = false;
      reexecute({ requestPolicy: 'network-only' });
    }
  }

  function onDragEnd({ active: a, over }: DragEndEvent) {
    const before = snapshot.current;
    let after = columns;
    const to = over ? columnOf(columns, String(over.id)) : undefined;
    const card = before.flatMap((c) => c.cards).find((c) => c.id === a.id);
    if (!to || !card) {
      setColumns(before);
      finishDrag();
      return;
    }
    const oldIndex = to.cards.findIndex((c) => c.id === a.id);
    const overIndex = to.cards.findIndex((c) => c.id === over!.id);
    if (oldIndex >= 0 && overIndex >= 0 && oldIndex !== overIndex) {
      after = columns.map((c) => (c.key === to.key ? { ...c, cards: arrayMove(c.cards, oldIndex, overIndex) } : c));
      setColumns(after);
    }
    finishDrag();
    const was = columnOf(before, card.id)!;
    const wasIndex = was.cards.findIndex((c) => c.id === card.id);
    const now = columnOf(after, card.id)!;
    if (was.key === now.key && wasIndex === now.cards.findIndex((c) => c.id === card.id)) return;
    void commit(card, now.key, before, after);
  }

  function onDragCancel() {
    setColumns(snapshot.current);
    finishDrag();
  }

  /**
   * The menu alternative to dragging (also for the keyboard): to the end
   * of another column, shown there when its last card is loaded.
   */
  function moveTo(card: Card, key: string) {
    const before = columns;
    const after = columns.map((c) => {
      if (c.key === key) return c.hasNext ? c : { ...c, cards: [...c.cards, card] };
      return { ...c, cards: c.cards.filter((x) => x.id !== card.id) };
    });
    setColumns(after);
    void commit(card, key, before, after);
  }

  async function loadMore(col: Column) {
    const r = await client
      .query(
        ConsoleBoardColumnDocument,
        { workflow, status: col.key, archived, assignee: assignee || undefined, first: pageSize, after: col.endCursor },
        { requestPolicy: 'network-only' },
      )
      .toPromise();
    const page = r.data?.boardColumn;
    if (!page) return;
    setColumns((cols) =>
      cols.map((c) =>
        c.key !== col.key
          ? c
          : {
              ...c,
              total: page.totalCount,
              cards: [...c.cards, ...cardsOf(page.projects.edges).filter((n) => !c.cards.some((x) => x.id === n.id))],
              hasNext: page.projects.pageInfo.hasNextPage,
              endCursor: page.projects.pageInfo.endCursor ?? null,
            },
      ),
    );
  }

  // The "Move to" choices change only when the columns themselves do.
  const statusNames = columns.map((c) => `${c.key}\u0000${c.name}`).join('\u0001');
  const statuses = useMemo<Status[]>(
    () => (statusNames ? statusNames.split('\u0001').map((s) => ({ key: s.split('\u0000')[0], name: s.split('\u0000')[1] })) : []),
    [statusNames],
  );
  const moveToStable = useStable(moveTo);
  const loadMoreStable = useStable(loadMore);
  const reload = useCallback(() => {
    setNotice(null);
    refresh();
  }, [refresh]);
  const announcements: Announcements = {
    onDragStart: ({ active: a }) => `Picked up ${titleOf(columns, String(a.id))}.`,
    onDragOver: ({ active: a, over }) => (over ? `${titleOf(columns, String(a.id))} is over ${columnOf(columns, String(over.id))?.name ?? 'a column'}.` : ''),
    onDragEnd: ({ active: a, over }) => (over ? `${titleOf(columns, String(a.id))} dropped in ${columnOf(columns, String(over.id))?.name ?? 'a column'}.` : 'Move cancelled.'),
    onDragCancel: ({ active: a }) => `Moving ${titleOf(columns, String(a.id))} was cancelled.`,
  };

  const refusal = refusalOf(error);
  const workflowName = data?.board.workflow.name ?? flows?.workflows.find((w) => w.key === workflow)?.name ?? workflow;
  return (
    <section className="board-page" aria-labelledby="board-heading">
      <div className="board-head">
        <h1 id="board-heading">
          {workflowName}
          {archived ? ': archived' : ''}
        </h1>
        <nav aria-label="Workflows" className="tabs">
          {flows?.workflows.map((w) => (
            <Link key={w.key} href={`/board/${w.key}`} className={w.key === workflow && !archived ? 'active' : ''} aria-current={w.key === workflow && !archived ? 'page' : undefined}>
              {w.name}
            </Link>
          ))}
          <Link href={`/board/${workflow}/archived`} className={archived ? 'active' : ''} aria-current={archived ? 'page' : undefined}>
            Archived
          </Link>
        </nav>
      </div>
      <div className="board-tools">
        {data && !archived && <Summary summary={data.board.summary} />}
        <label className="assignee-filter">
          Assignee{' '}
          <select value={assignee} onChange={(e) => setAssignee(e.target.value)}>
            <option value="">Everyone</option>
            {team?.members.map((m) => (
              <option key={m.id} value={m.id}>
                {m.name}
              </option>
            ))}
          </select>
        </label>
      </div>
      {refusal && !data && <p role="alert" className="refusal">{refusal.message}</p>}
      {fetching && !data && <p role="status">Loading the board…</p>}
      <DndContext
        sensors={sensors}
        collisionDetection={closestCorners}
        onDragStart={onDragStart}
        onDragOver={onDragOver}
        onDragEnd={onDragEnd}
        onDragCancel={onDragCancel}
        accessibility={{
          announcements,
          screenReaderInstructions: {
            draggable: 'To move a card, press space or enter, use the arrow keys, and press space or enter again to drop it; escape cancels. Each card also has a “Move to” list.',
          },
        }}
      >
        <div className="columns">
          {columns.map((col) => (
            <BoardColumn
              key={col.key}
              column={col}
              statuses={statuses}
              canMove={canMove}
              notice={notice?.cardId && col.cards.some((c) => c.id === notice.cardId) ? notice : null}
              blocked={blocked[col.key]}
              onMoveTo={moveToStable}
              onLoadMore={loadMoreStable}
              onReload={reload}
            />
          ))}
        </div>
        <DragOverlay>{active ? <CardView card={active} dragging /> : null}</DragOverlay>
      </DndContext>
      <p className="sr-only" aria-live="polite">
        {notice ? `${titleOf(columns, notice.cardId)}: ${notice.text}` : ''}
      </p>
      {columns.length === 0 && data && <p>This workflow has no enabled status.</p>}
    </section>
  );
}

/** The board's projects per category of their status, in the order of a project's life. */
function Summary({ summary }: { summary: ConsoleBoardQuery['board']['summary'] }) {
  if (summary.length === 0) return null;
  return (
    <p className="board-summary">
      <span className="sr-only">Projects by category: </span>
      {summary.map((c) => `${categoryNames[c.category]} ${c.count}`).join(' · ')}
    </p>
  );
}

/** A callback of stable identity that calls the latest f (for memoised children). */
function useStable<A extends unknown[], R>(f: (...args: A) => R): (...args: A) => R {
  const ref = useRef(f);
  useLayoutEffect(() => {
    ref.current = f;
  });
  return useCallback((...args: A) => ref.current(...args), []);
}

function titleOf(columns: Column[], id: string): string {
  return columns.flatMap((c) => c.cards).find((c) => c.id === id)?.title ?? 'the card';
}

/** A column's key and name, for the "Move to" list. */
type Status = { key: string; name: string };

const BoardColumn = memo(function BoardColumn(props: {
  column: Column;
  statuses: Status[];
  canMove: boolean;
  notice: Notice | null;
  /** While a card is dragged: why it may not enter this column. */
  blocked?: string;
  onMoveTo: (card: Card, key: string) => void;
  onLoadMore: (col: Column) => void;
  onReload: () => void;
}) {
  const { column, statuses, canMove, notice, blocked } = props;
  const { setNodeRef, isOver } = useDroppable({ id: columnPrefix + column.key, disabled: !canMove });
  const full = column.wipLimit != null && column.total >= column.wipLimit;
  const headingId = `column-${column.key}`;
  return (
    <section className={`column${isOver ? ' over' : ''}${blocked ? ' blocked' : ''}`} aria-labelledby={headingId} data-status={column.key}>
      <header className="column-head" style={{ borderTopColor: column.color }}>
        <h2 id={headingId}>{column.name}</h2>
        <span className="count" aria-label={`${column.total} projects`}>
          {column.total}
        </span>
        {column.wipLimit != null && (
          <span className={`wip${full ? ' full' : ''}`} title="Work-in-progress limit" aria-label={`WIP limit ${column.wipLimit}${full ? ', reached' : ''}`}>
            WIP {column.total}/{column.wipLimit}
          </span>
        )}
      </header>
      {blocked && <p className="blocked-reason">Not here: {blocked}</p>}
      <SortableContext items={column.cards.map((c) => c.id)} strategy={verticalListSortingStrategy}>
        <ol ref={setNodeRef} className="cards">
          {column.cards.map((card) => (
            <SortableCard
              key={card.id}
              card={card}
              columnKey={column.key}
              statuses={statuses}
              canMove={canMove}
              notice={notice?.cardId === card.id ? notice : null}
              onMoveTo={props.onMoveTo}
              onReload={props.onReload}
            />
          ))}
        </ol>
      </SortableContext>
      {column.hasNext && (
        <button type="button" className="load-more" onClick={() => props.onLoadMore(column)}>
          Load more ({column.total - column.cards.length} more)
        </button>
      )}
    </section>
  );
});

const SortableCard = memo(function SortableCard(props: {
  card: Card;
  columnKey: string;
  statuses: Status[];
  canMove: boolean;
  notice: Notice | null;
  onMoveTo: (card: Card, key: string) => void;
  onReload: () => void;
}) {
  const { card, columnKey, statuses, canMove, notice } = props;
  const { attributes, listeners, setNodeRef, setActivatorNodeRef, transform, transition, isDragging } = useSortable({ id: card.id, disabled: !canMove });
  const style = { transform: CSS.Transform.toString(transform), transition };
  // The mouse drags the whole card; the keyboard drags by the handle (a
  // button of its own: the card holds a link, which a button may not).
  const { onKeyDown, ...pointer } = (listeners ?? {}) as Record<string, (e: unknown) => void>;
  return (
    <li ref={setNodeRef} style={style} className={`card-item${isDragging ? ' placeholder' : ''}`} data-project={card.id} data-version={card.version}>
      <div className="card" {...pointer}>
        <CardView card={card} />
        {canMove && (
          <button
            type="button"
            ref={setActivatorNodeRef}
            className="handle"
            {...attributes}
            onKeyDown={onKeyDown}
            aria-describedby={notice ? `notice-${card.id}` : attributes['aria-describedby']}
          >
            <span aria-hidden="true">⠿</span>
            <span className="sr-only">Drag {card.title}</span>
          </button>
        )}
      </div>
      {canMove && <MoveTo card={card} columnKey={columnKey} statuses={statuses} onMoveTo={props.onMoveTo} />}
      {notice && (
        <p id={`notice-${card.id}`} className="refusal" role="alert">
          {notice.text}{' '}
          {notice.conflict && (
            <button type="button" className="link" onClick={props.onReload}>
              Reload
            </button>
          )}
        </p>
      )}
    </li>
  );
});

/**
 * The alternative to dragging, for the keyboard and anyone: a button that
 * opens the list of the other columns (built only when opened: a board
 * of hundreds of cards keeps its page small).
 */
function MoveTo({ card, columnKey, statuses, onMoveTo }: { card: Card; columnKey: string; statuses: Status[]; onMoveTo: (card: Card, key: string) => void }) {
  const [open, setOpen] = useState(false);
  if (!open) {
    return (
      <button type="button" className="move-to-open" onClick={() => setOpen(true)}>
        Move to…<span className="sr-only"> ({card.title})</span>
      </button>
    );
  }
  return (
    <label className="move-to">
      <span className="sr-only">Move {card.title} to</span>
      <select
        autoFocus
        value=""
        onBlur={() => setOpen(false)}
        onKeyDown={(e) => {
          if (e.key === 'Escape') setOpen(false);
        }}
        onChange={(e) => {
          setOpen(false);
          if (e.target.value) onMoveTo(card, e.target.value);
        }}
      >
        <option value="">Choose a column…</option>
        {statuses
          .filter((c) => c.key !== columnKey)
          .map((c) => (
            <option key={c.key} value={c.key}>
              {c.name}
            </option>
          ))}
      </select>
    </label>
  );
}

const CardView = memo(function CardView({ card, dragging }: { card: Card; dragging?: boolean }) {
  return (
    <div className={`card-body${dragging ? ' dragging' : ''}`}>
      <Link href={`/projects/${card.id}`} className="title">
        {card.title}
      </Link>
      {card.customer && (
        <span className="customer">
          {card.customer.name}
          {card.customer.company ? ` · ${card.customer.company}` : ''}
        </span>
      )}
      <span className="meta">
        {card.progress && <span className="progress">{progressName(card.progress)}</span>}
        {card.openTodoCount > 0 && (
          <span className="todos" aria-label={`${card.openTodoCount} open to-dos`}>
            ☐ {card.openTodoCount}
          </span>
        )}
      </span>
    </div>
  );
});
