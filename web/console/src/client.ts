import { Client, cacheExchange, fetchExchange, subscriptionExchange } from 'urql';
import { createClient as createSocket, type Client as SocketClient } from 'graphql-ws';
import { serverURL, socketURL } from './base';

/** Something a GraphQL client keeps open, to close when the token changes. */
export type Connection = { client: Client; socket: SocketClient | null; onReconnect: (f: () => void) => () => void };

// One client per credential: queries and mutations over HTTP, the live
// board over graphql-transport-ws (credentials in connection_init, as
// browsers cannot set headers on a WebSocket).
export function connect(token: string | null): Connection {
  const reconnected = new Set<() => void>();
  let connectedBefore = false;
  const socket = token
    ? createSocket({
        url: socketURL('graphql'),
        connectionParams: { Authorization: `Bearer ${token}` },
        lazy: true,
        retryAttempts: Number.POSITIVE_INFINITY,
        shouldRetry: () => true,
        on: {
          connected: () => {
            // After a drop, what happened meanwhile is read again.
            if (connectedBefore) reconnected.forEach((f) => f());
            connectedBefore = true;
          },
        },
      })
    : null;
  const exchanges = [cacheExchange, fetchExchange];
  if (socket) {
    exchanges.push(
      subscriptionExchange({
        forwardSubscription(request) {
          const input = { ...request, query: request.query || '' };
          return {
            subscribe(sink) {
              const unsubscribe = socket.subscribe(input, sink);
              return { unsubscribe };
            },
          };
        },
      }),
    );
  }
  const client = new Client({
    url: serverURL('graphql'),
    exchanges,
    requestPolicy: 'cache-and-network',
    fetchOptions: (): RequestInit => (token ? { headers: { Authorization: `Bearer ${token}` } } : {}),
  });
  return {
    client,
    socket,
    onReconnect(f) {
      reconnected.add(f);
      return () => reconnected.delete(f);
    },
  };
}
