import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { MarathonClient } from '../../src/marathon/client.js';
import { MarathonError } from '../../src/marathon/errors.js';
import { CaFileError } from '../../src/http/transport.js';
import { app } from './fake-marathon.js';

describe('HTTPS with a custom CA file', () => {
  let dir: string;
  let server: Server;
  let url: string;

  before(() => {
    // A committed self-signed certificate for 127.0.0.1 (the cluster CA of a DC/OS or private setup).
    dir = fileURLToPath(new URL('../fixtures/tls/', import.meta.url));
  });

  beforeEach(async () => {
    server = createServer({ key: readFileSync(join(dir, 'key.pem')), cert: readFileSync(join(dir, 'ca.pem')) }, (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ apps: [app()] }));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterEach(async () => {
    server.closeAllConnections();
    await new Promise<void>((r) => server.close(() => r()));
  });

  it('an untrusted certificate is a TLS failure (unreachable), not a bad response', async () => {
    await assert.rejects(
      new MarathonClient({ urls: [url], timeoutMs: 1000, retries: 0 }).listApps(),
      (e: unknown) => e instanceof MarathonError && e.code === 'E_MARATHON_UNREACHABLE' && /: tls/.test(e.message),
    );
  });

  it('trusts the server with caFile', async () => {
    const apps = await new MarathonClient({ urls: [url], timeoutMs: 1000, retries: 0, caFile: join(dir, 'ca.pem') }).listApps();
    assert.equal(apps.length, 1);
  });

  it('an unreadable CA file fails at construction with a hint', () => {
    assert.throws(
      () => new MarathonClient({ urls: [url], timeoutMs: 1000, retries: 0, caFile: join(dir, 'missing.pem') }),
      (e: unknown) => e instanceof CaFileError && e.code === 'E_CONFIG_CA_FILE' && /ENOENT/.test(e.message),
    );
  });
});
