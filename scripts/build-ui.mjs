// Completes dist/ui after `tsc -p tsconfig.ui.json`: the admin UI's static HTML/CSS from src/api/ui
// and uPlot's browser build and stylesheet from node_modules (served under /admin/vendor/).
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const src = path.join(root, 'src', 'api', 'ui');
const out = path.join(root, 'dist', 'ui');
fs.mkdirSync(path.join(out, 'vendor'), { recursive: true });
for (const name of fs.readdirSync(src)) {
  if (/\.(html|css|svg)$/.test(name)) fs.copyFileSync(path.join(src, name), path.join(out, name));
}
const uplot = path.join(root, 'node_modules', 'uplot', 'dist');
for (const name of ['uPlot.iife.min.js', 'uPlot.min.css']) fs.copyFileSync(path.join(uplot, name), path.join(out, 'vendor', name));
