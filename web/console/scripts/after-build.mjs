// After `vite build`: copies axe-core (from npm) where the Go browser
// tests find it without Node, and reports the JavaScript a first load
// fetches, gzipped (the budget is 200 KB).
import { copyFileSync, mkdirSync, readFileSync, readdirSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const web = join(here, '..', '..');
mkdirSync(join(web, 'e2e', 'testdata'), { recursive: true });
copyFileSync(join(here, '..', 'node_modules', 'axe-core', 'axe.min.js'), join(web, 'e2e', 'testdata', 'axe.min.js'));

const dist = join(web, 'dist');
const index = readFileSync(join(dist, 'index.html'), 'utf8');
const first = [...index.matchAll(/(?:src|href)="\.\/(assets\/[^"]+\.js)"/g)].map((m) => m[1]);
let total = 0;
for (const file of first) total += gzipSync(readFileSync(join(dist, file))).length;
const all = readdirSync(join(dist, 'assets')).filter((f) => f.endsWith('.js'));
console.log(`first load: ${first.length} script(s), ${(total / 1024).toFixed(1)} KB gzipped (budget 200 KB); ${all.length} script(s) in all`);
if (total > 200 * 1024) {
  console.error('the first load is over its budget');
  process.exit(1);
}
