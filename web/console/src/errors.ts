import type { CombinedError } from 'urql';

/** The contract's error code of a failed operation, with its details. */
export type Refusal = { code: string; message: string; details: Record<string, unknown> };

export function refusalOf(error: CombinedError | undefined | null): Refusal | null {
  if (!error) return null;
  const first = error.graphQLErrors[0];
  if (first) {
    const ext = (first.extensions ?? {}) as Record<string, unknown>;
    return { code: String(ext.code ?? 'INTERNAL'), message: first.message, details: ext };
  }
  if (error.networkError) {
    return { code: 'UNAVAILABLE', message: 'The server cannot be reached. Check the connection and try again.', details: {} };
  }
  return { code: 'INTERNAL', message: error.message, details: {} };
}
