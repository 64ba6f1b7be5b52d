// Where the console is served. The server writes <base href> for the
// prefix it is mounted at ("/" or "/lanes/"), so every URL of the console
// is resolved against it and nothing is absolute.

const base = new URL(document.baseURI);

/** The mount prefix without its trailing slash: "" or "/lanes". */
export const basePath = base.pathname.replace(/\/$/, '');

/** An URL of the server's, relative to where the console is mounted. */
export function serverURL(path: string): string {
  return new URL(path, base).toString();
}

/** The WebSocket URL of a server path. */
export function socketURL(path: string): string {
  const u = new URL(path, base);
  u.protocol = u.protocol === 'https:' ? 'wss:' : 'ws:';
  return u.toString();
}
