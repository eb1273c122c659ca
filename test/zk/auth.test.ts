import assert from 'node:assert/strict';
import type zookeeper from 'node-zookeeper-client';
import { ZkCoordinator } from '../../src/zk/index.js';
import { zkUrl } from '../helpers/zookeeper.js';
import { quiet, rawClient, rawOp, SESSION_MS, waitFor, zkSuite } from './support.js';

const CREDS = { user: 'monkey', password: 's3cr@t' };

describe('ZkCoordinator: digest authentication', function () {
  this.timeout(15_000);
  const ctx = zkSuite('auth', CREDS);

  it('with user:password the nodes are the user’s (digest ACL, read for anyone); another instance with them joins', async () => {
    const a = await ctx.fleet.start('a');
    const b = await ctx.fleet.start('b');
    await waitFor(() => a.isLeader() && b.role() === 'standby', 2000, 'a leads');
    const op = await rawClient(ctx.zk.connect);
    try {
      for (const path of [ctx.root, `${ctx.root}/state`, `${ctx.root}/election`, `${ctx.root}/kills`]) {
        const acls = await rawOp<zookeeper.ACL[]>((cb) => op.getACL(path, cb as (e: Error | zookeeper.Exception | null, acls: zookeeper.ACL[]) => void));
        assert.deepEqual(
          // @types/node-zookeeper-client says `perms`; the library's objects carry `permission`.
          acls.map((x) => `${x.id.scheme}:${x.id.id.replace(/:.*/, '')}:${(x as unknown as { permission: number }).permission}`).sort(),
          ['digest:monkey:31', 'world:anyone:1'],
          path,
        );
      }
      // Anyone may read the state (it holds app ids and times, no secret); nobody else may write it.
      await rawOp((cb) => op.getData(`${ctx.root}/state`, cb as (e: Error | zookeeper.Exception | null, d: Buffer) => void));
      await assert.rejects(
        rawOp((cb) => op.setData(`${ctx.root}/state`, Buffer.from('{}'), -1, cb as (e: Error | zookeeper.Exception | null, s: zookeeper.Stat) => void)),
        (e: { name?: string }) => e.name === 'NO_AUTH',
      );
    } finally {
      op.close();
    }
  });

  for (const [name, url] of [
    ['without credentials', (r: string) => zkUrl(ctx.zk, r)],
    ['with the wrong password', (r: string) => zkUrl(ctx.zk, r, { user: 'monkey', password: 'guess' })],
  ] as const) {
    it(`an instance ${name} is refused at start with E_ZK_AUTH, and the hint says what to fix`, async () => {
      await ctx.fleet.start('owner');
      await assert.rejects(ZkCoordinator.start({ url: url(ctx.root), sessionTimeoutMs: SESSION_MS, identity: 'intruder', logger: quiet, connectTimeoutMs: 3000 }), (e: Error & { code?: string; hint?: string }) => {
        assert.equal(e.code, 'E_ZK_AUTH');
        assert.match(e.hint ?? '', /user:password/);
        assert.doesNotMatch(`${e.message} ${e.hint ?? ''}`, /s3cr@t|guess/);
        return true;
      });
    });
  }
});
