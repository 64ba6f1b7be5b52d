import { createContext, useContext } from 'react';
import type { Connection } from './client';

export const ConnectionContext = createContext<Connection | null>(null);

/** The console's connection to the server (for its WebSocket's events). */
export function useConnection(): Connection {
  const c = useContext(ConnectionContext);
  if (!c) throw new Error('useConnection outside App');
  return c;
}
