import assert from 'node:assert/strict';
import { parseCommand } from '../../src/cli/args.js';
import { usageError } from '../helpers/usage.js';


describe('command line', () => {
  it('parses every command with its flags', () => {
    assert.deepEqual(parseCommand(['once', '--json']), { name: 'once', json: true });
    assert.deepEqual(parseCommand(['plan', '--at', '2026-11-23T10:00:00Z', '--seed', 's1']), {
      name: 'plan',
      json: false,
      at: new Date('2026-11-23T10:00:00Z'),
      seed: 's1',
    });
    assert.deepEqual(parseCommand(['explain', '/shop/cart']), { name: 'explain', appId: '/shop/cart', json: false });
    assert.deepEqual(parseCommand(['explain', 'shop/cart', '--json']), { name: 'explain', appId: '/shop/cart', json: true });
    assert.deepEqual(parseCommand(['sim', '--port', '9090', '--scenario', 'x.json']), { name: 'sim', port: 9090, scenario: 'x.json' });
    assert.deepEqual(parseCommand(['validate']), { name: 'validate' });
    assert.deepEqual(parseCommand(['resume', '--reason', 'fixed']), { name: 'resume', reason: 'fixed' });
    assert.deepEqual(parseCommand([]), { name: 'help' });
    assert.deepEqual(parseCommand(['--version']), { name: 'version' });
  });

  it('names the mistake and the fix for bad arguments', () => {
    assert.match(usageError(['kill-everything']).message, /unknown command "kill-everything"/);
    assert.match(usageError(['once', '--jsn']).message, /--jsn/);
    assert.match(usageError(['once', '--jsn']).hint ?? '', /--json/);
    assert.match(usageError(['plan', '--at', 'tomorrow']).message, /ISO-8601 instant with a time zone/);
    assert.match(usageError(['plan', '--at', '2026-11-23T10:00:00']).message, /time zone/);
    assert.match(usageError(['sim', '--port', '99999']).message, /TCP port/);
    assert.match(usageError(['explain']).message, /exactly one app id/);
    assert.match(usageError(['run', 'extra']).message, /run/);
  });
});
