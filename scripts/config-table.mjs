// Prints the configuration reference as a Markdown table (pasted into README "Configuration").
// Run after `npm run build`: node scripts/config-table.mjs
import { configReference } from '../dist/config/load.js';

console.log('| Environment | Config key | Default | Meaning |');
console.log('|---|---|---|---|');
for (const k of configReference()) {
  const def = k.sensitive ? '(secret)' : JSON.stringify(k.default);
  console.log(`| \`${k.env}\` | \`${k.path}\` | \`${def}\` | ${k.doc.replace(/\|/g, '\\|')} |`);
}
