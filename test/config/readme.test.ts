import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { configReference } from '../../src/config/load.js';
import { USAGE } from '../../src/cli/args.js';

const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');

describe('README documents the public interface', () => {
  it('names every environment variable and config key of the schema', () => {
    const missing = configReference().filter((k) => !readme.includes(`\`${k.env}\``) || !readme.includes(`\`${k.path}\``));
    assert.deepEqual(missing.map((k) => k.env), [], 'add these to README "Configuration"');
  });

  it('names every command of the CLI, the app labels and the exit codes', () => {
    const commands = [...USAGE.matchAll(/^ {2}marathon-monkey ([a-z]+)/gm)].map((m) => m[1]);
    assert.ok(commands.length >= 9);
    for (const c of commands) assert.ok(readme.includes(`marathon-monkey ${c ?? ''}`), `README lacks the ${c ?? ''} command`);
    for (const label of ['monkey.enabled', 'monkey.min-healthy', 'monkey.recovery-timeout']) assert.ok(readme.includes(`\`${label}\``));
    assert.match(readme, /\*\*2\*\* weakness found/);
  });
});
