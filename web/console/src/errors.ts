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

/** A refusal in words a partner or a customer understands. */
export function inWords(r: Refusal): string {
  switch (r.code) {
    case 'UNAUTHENTICATED':
      return 'Your session has ended: sign in again.';
    case 'FORBIDDEN':
      return 'Your role may not do this.';
    case 'NOT_FOUND':
      return 'This no longer exists, or is not yours to see.';
    case 'CONFLICT':
      return 'Someone changed this meanwhile: reload and try again.';
    case 'WIP_LIMIT':
      return `The column is full: its WIP limit is ${String(r.details.wipLimit ?? '')}.`;
    case 'CHECKLIST_INCOMPLETE':
      return 'Open blocking to-dos keep this project from moving on: finish them first.';
    case 'REQUIRED_FIELDS': {
      const fields = Array.isArray(r.details.fields) ? r.details.fields.map(String) : [];
      return fields.length ? `That status needs ${fields.join(', ')} first.` : 'That status needs more of the project first.';
    }
    case 'ARCHIVED':
      return 'This project is archived: an admin may reopen it.';
    case 'TRANSITION_NOT_ALLOWED':
      return `This workflow does not allow that: ${r.message}.`;
    case 'STATUS_DISABLED':
      return 'That status is disabled.';
    case 'STATUS_MANDATORY':
      return 'That status is mandatory: it cannot be disabled.';
    case 'STATUS_IN_USE':
      return `${String(r.details.projectCount ?? 'Some')} project(s) are in that status: move them elsewhere first.`;
    case 'PAYMENT_REQUIRED':
      return 'Completing needs a paid payment link or a recorded revenue share.';
    case 'FEATURE_LOCKED':
      return 'This part of the portal is not open at the project’s current stage.';
    case 'TOKEN_INVALID':
      return 'This link is used, expired or unknown.';
    case 'RATE_LIMITED':
      return 'Too many requests: wait a moment and try again.';
    case 'VALIDATION':
      return r.message.endsWith('.') ? r.message : `${r.message}.`;
    default:
      return r.message;
  }
}
