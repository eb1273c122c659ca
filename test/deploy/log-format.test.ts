import assert from 'node:assert/strict';
import type { DestinationStream } from 'pino';
import { loadConfig } from '../../src/config/load.js';
import { createLogger, LOG_FORMATS, resolveLogFormat, type LoggerOptions } from '../../src/log.js';

/** Writes through createLogger into memory and returns what reached the destination. */
function written(options: Omit<LoggerOptions, 'destination'>, log: (l: ReturnType<typeof createLogger>) => void): string {
  const chunks: string[] = [];
  const destination: DestinationStream = { write: (s: string) => void chunks.push(s) };
  log(createLogger({ ...options, destination }));
  return chunks.join('');
}

const hello = (l: ReturnType<typeof createLogger>) => l.child({ component: 'daemon' }).info({ url: 'http://127.0.0.1:8000', token: 'tok-secret-123' }, 'marathon-monkey started');
// Any ANSI colour escape.
const ANSI = /\u001b\[[0-9;]*m/; // eslint-disable-line no-control-regex

describe('log format: JSON for machines, pretty lines for people', () => {
  it('json: one JSON object a line (the default when no format is given)', () => {
    for (const options of [{}, { format: 'json' as const }, { format: 'json' as const, tty: true }]) {
      const text = written(options, hello);
      const line = JSON.parse(text.trim()) as Record<string, unknown>;
      assert.equal(line.msg, 'marathon-monkey started');
      assert.equal(line.level, 'info');
      assert.equal(line.token, '[redacted]');
    }
  });

  it('pretty: a human-readable line with level, message and fields, secrets still redacted, no colour off a terminal', () => {
    const text = written({ format: 'pretty' }, hello);
    assert.throws(() => JSON.parse(text.trim()), 'not JSON');
    assert.match(text, /^\[\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3} [+-]\d{4}\] INFO: marathon-monkey started\n/);
    assert.match(text, /^ {4}component: "daemon"$/m);
    assert.match(text, /^ {4}url: "http:\/\/127\.0\.0\.1:8000"$/m);
    assert.match(text, /token: "\[redacted\]"/);
    assert.ok(!text.includes('tok-secret-123'));
    assert.doesNotMatch(text, ANSI);
  });

  it('pretty on a terminal is coloured; errors keep their code and message', () => {
    const text = written({ format: 'pretty', tty: true }, (l) => l.error({ err: { code: 'E_MARATHON_UNAVAILABLE', message: 'no leader' } }, 'cycle failed'));
    assert.match(text, ANSI);
    assert.match(text, /cycle failed/);
    assert.match(text, /E_MARATHON_UNAVAILABLE/);
    assert.match(text, /no leader/);
  });

  it('auto: pretty only when the destination is a terminal', () => {
    assert.deepEqual(
      LOG_FORMATS.flatMap((f) => [false, true].map((tty) => `${f}/${tty ? 'tty' : 'pipe'} → ${resolveLogFormat(f, tty)}`)),
      ['auto/pipe → json', 'auto/tty → pretty', 'json/pipe → json', 'json/tty → json', 'pretty/pipe → pretty', 'pretty/tty → pretty'],
    );
    assert.doesNotThrow(() => JSON.parse(written({ format: 'auto', tty: false }, hello).trim()));
    assert.match(written({ format: 'auto', tty: true }, hello), /INFO.*marathon-monkey started/);
  });

  it('log.format / MONKEY_LOG_FORMAT: auto by default, json or pretty, anything else refused at start-up', () => {
    const format = (env: NodeJS.ProcessEnv) => (loadConfig({ env }).config.log as { format?: string }).format;
    assert.equal(format({}), 'auto');
    assert.equal(format({ MONKEY_LOG_FORMAT: 'pretty' }), 'pretty');
    assert.equal(format({ MONKEY_LOG_FORMAT: 'json' }), 'json');
    assert.throws(() => loadConfig({ env: { MONKEY_LOG_FORMAT: 'yaml' } }), /log\.format/);
  });
});
