import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:net';
import { MonkeyError } from '../../src/errors.js';
import { startSimulator, type RunningSim } from '../../src/sim/server.js';
import { scenarioWith } from './helpers.js';

/** A port already taken is the operator's to change: a coded error with a hint, not "this is a bug". */
describe('simulator on a port that is already in use', () => {
  let blocker: Server | undefined;
  let sim: RunningSim | undefined;
  afterEach(async () => {
    await sim?.close();
    sim = undefined;
    if (blocker) await new Promise((r) => blocker!.close(r));
    blocker = undefined;
  });

  async function busyPort(): Promise<number> {
    blocker = createServer();
    return new Promise((resolve) => blocker!.listen(0, '127.0.0.1', () => resolve((blocker!.address() as { port: number }).port)));
  }

  it('the --port option → E_PORT_IN_USE naming the address, hint: choose another --port', async () => {
    const port = await busyPort();
    await assert.rejects(
      startSimulator({ scenario: scenarioWith(), port }),
      (e: unknown) =>
        e instanceof MonkeyError &&
        e.code === 'E_PORT_IN_USE' &&
        e.message === `the simulator cannot listen on 127.0.0.1:${port}: another process already uses that port` &&
        e.hint === 'choose another port with --port (0 picks a free one), or stop the process that holds it',
    );
  });

  it("the scenario's mesos.port → the hint names that field", async () => {
    const port = await busyPort();
    await assert.rejects(
      startSimulator({ scenario: scenarioWith((raw) => (raw.mesos = { port })) }),
      (e: unknown) => e instanceof MonkeyError && e.code === 'E_PORT_IN_USE' && /the scenario's mesos\.port/.test(e.hint ?? ''),
    );
  });

  it('a free port still works after a refusal (nothing was left listening)', async () => {
    const port = await busyPort();
    await assert.rejects(startSimulator({ scenario: scenarioWith(), port }));
    sim = await startSimulator({ scenario: scenarioWith(), port: 0 });
    assert.match(sim.marathonUrl, /^http:\/\/127\.0\.0\.1:\d+$/);
  });
});
