// Root hook: every temporary file of a test run (journals, configs, ZooKeeper data directories,
// Chromium profiles, the daemons' and simulators' own temp files) goes under one directory made
// for the run, and that directory is removed after the suite. Tests make their folders with
// os.tmpdir() (mkdtemp) and clean up most of them; a run that crashed or a test that forgot no
// longer leaves thousands of folders in /tmp. TMPDIR is what os.tmpdir() reads on every call,
// and child processes inherit it.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const root = mkdtempSync(join(tmpdir(), 'marathon-monkey-tests-'));
process.env.TMPDIR = root;

export const mochaHooks = {
  afterAll() {
    try {
      rmSync(root, { recursive: true, force: true, maxRetries: 3 });
    } catch (err) {
      process.stderr.write(`\ncould not remove the test run's temp folder ${root}: ${err.message}\n`);
    }
  },
};
