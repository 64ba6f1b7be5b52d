import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { GraphiQL } from 'graphiql';
import { createGraphiQLFetcher } from '@graphiql/toolkit';
import 'graphiql/style.css';
import { serverURL, socketURL } from './base';

// The development playground: GraphiQL from npm, built into the server
// (no CDN), posting to graphql beside it. In --demo the server writes a
// member's credential into the page's settings: the headers start with it
// and subscriptions send it in connection_init.
type Settings = { headers?: Record<string, string> };

const settings = JSON.parse(document.getElementById('lanes-playground')?.textContent || '{}') as Settings;
const headers = settings.headers ?? {};

const welcome = `# Lanes: press the run button (Ctrl-Enter). The headers below
# carry the credential (in --demo, a member's token).
query Viewer {
  viewer { kind role tenant { slug name } member { name } }
}
`;

const fetcher = createGraphiQLFetcher({
  url: serverURL('graphql'),
  subscriptionUrl: socketURL('graphql'),
  wsConnectionParams: headers,
});

createRoot(document.getElementById('playground')!).render(
  <StrictMode>
    <GraphiQL fetcher={fetcher} query={welcome} defaultHeaders={JSON.stringify(headers, null, 2)} shouldPersistHeaders={false} />
  </StrictMode>,
);
