import { useId, useState, type ReactNode } from 'react';
import { useMutation, type AnyVariables, type TypedDocumentNode } from 'urql';
import { inWords, refusalOf, type Refusal } from '../errors';
import { bytes } from '../format';

/** A titled section of a page. */
export function Panel({ title, children }: { title: string; children: ReactNode }) {
  const id = useId();
  return (
    <section className="panel" aria-labelledby={id}>
      <h2 id={id}>{title}</h2>
      {children}
    </section>
  );
}

/** What an action came to: its refusal in words, or that it is done. */
export function Said({ problem, done }: { problem: string | null; done?: string | null }) {
  if (problem)
    return (
      <p className="refusal" role="alert">
        {problem}
      </p>
    );
  if (done)
    return (
      <p role="status" className="done">
        {done}
      </p>
    );
  return null;
}

/**
 * A mutation run from a page: its refusal, in words, to show beside it
 * (say puts a word of the page's own there, e.g. a missing field).
 * typenames: what the mutation changes when its answer does not name it
 * (a deleted thing's ID, a count), so that urql reads those queries again;
 * words: the page's own words for some refusals (null: the usual ones).
 */
export function useAction<D, V extends AnyVariables>(
  doc: TypedDocumentNode<D, V>,
  options: { typenames?: string[]; words?: (r: Refusal) => string | null } = {},
) {
  const [state, execute] = useMutation(doc);
  const [problem, setProblem] = useState<string | null>(null);
  async function run(vars: V): Promise<D | null> {
    setProblem(null);
    const r = await execute(vars, options.typenames ? { additionalTypenames: options.typenames } : undefined);
    const refusal = refusalOf(r.error);
    if (refusal) {
      setProblem(options.words?.(refusal) ?? inWords(refusal));
      return null;
    }
    return r.data ?? null;
  }
  return { run, problem, say: setProblem, pending: state.fetching };
}

/** Files with their download links (time-limited, relative to the console). */
export function FileList({ files }: { files: ReadonlyArray<{ id: string; name: string; size: number; url: string }> }) {
  if (files.length === 0) return <p className="muted">No files yet.</p>;
  return (
    <ul className="files">
      {files.map((f) => (
        <li key={f.id}>
          <a href={f.url} download={f.name}>
            {f.name}
          </a>{' '}
          <span className="muted">{bytes(f.size)}</span>
        </li>
      ))}
    </ul>
  );
}
