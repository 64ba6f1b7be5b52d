import { useSyncExternalStore } from 'react';

// The credential the console calls with: a member's JWT from the
// embedding platform, or a customer's portal session token. It is kept
// for the tab only (sessionStorage), never in a cookie.

const key = 'lanes.token';
const listeners = new Set<() => void>();

/** Takes a token the platform passed as /#token=… and removes it from the address. */
export function takeTokenFromAddress(): void {
  const match = /(?:^#|&)token=([^&]+)/.exec(window.location.hash);
  if (!match) return;
  setToken(decodeURIComponent(match[1]));
  history.replaceState(history.state, '', window.location.pathname + window.location.search);
}

export function getToken(): string | null {
  return sessionStorage.getItem(key);
}

export function setToken(token: string | null): void {
  if (token) sessionStorage.setItem(key, token);
  else sessionStorage.removeItem(key);
  listeners.forEach((l) => l());
}

function subscribe(listener: () => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

/** The current token; components re-render when it changes. */
export function useToken(): string | null {
  return useSyncExternalStore(subscribe, getToken);
}
