// Which source folders may import which: the layering of marathon-monkey, enforced by lint.
//
//   domain                      the normalised Marathon/Mesos types, the ports, reasons, the cycle
//                               record: imports nothing of ours
//   platform                    clock, randomness, booleans: imports nothing but errors
//   http, schedule              transport and URLs; cron and office hours
//   chaos, journal              the decisions (pure); the audit journal — on the domain only
//   marathon, mesos, config, sim   adapters: on the domain and http, never on chaos
//   report                      the journal as a report (pure): on the domain and the journal
//   export                      a journaled cycle in another tool's format (pure): likewise
//   probe                       steady-state probes of the service itself (HTTP, TCP): on the domain
//   notify                      webhook and Slack notifications: on the domain and http
//   zk                          leader election, shared state and kill fencing on ZooKeeper: on the domain
//   app                         wiring: config → clients and settings
//   daemon                      the long-running process
//   cli                         the commands: may use everything
//
// The table is acyclic by construction (each folder only reaches folders listed above it), so no
// import cycle between folders can come back without a lint error. test/repo/boundaries.test.ts
// checks the table and the real import graph against each other.
export const LAYERS = {
  domain: [],
  platform: [],
  http: ['platform'],
  schedule: ['platform'],
  chaos: ['domain', 'platform'],
  journal: ['domain', 'platform'],
  marathon: ['domain', 'http', 'platform'],
  mesos: ['domain', 'http', 'platform'],
  config: ['http', 'platform'],
  sim: ['domain', 'platform'],
  report: ['domain', 'platform', 'journal'],
  export: ['domain', 'platform', 'journal'],
  probe: ['domain', 'platform', 'http'],
  notify: ['domain', 'platform', 'http'],
  zk: ['domain', 'platform'],
  app: ['domain', 'platform', 'http', 'schedule', 'chaos', 'journal', 'marathon', 'mesos', 'config', 'notify', 'probe', 'zk'],
  daemon: ['domain', 'platform', 'http', 'schedule', 'chaos', 'journal', 'marathon', 'app', 'notify', 'probe', 'zk'],
  cli: ['domain', 'platform', 'http', 'schedule', 'chaos', 'journal', 'marathon', 'mesos', 'config', 'sim', 'app', 'daemon', 'report', 'export', 'notify', 'probe', 'zk'],
};

/** Files at the top of src/ (errors.ts, log.ts) every folder but the domain may use. */
const ROOT_FILES = ['errors', 'log'];

/** One eslint config block per folder: importing a folder it may not use is an error. */
export function boundaryRules() {
  const folders = Object.keys(LAYERS);
  return folders.filter((folder) => folder === 'domain' || folders.some((f) => f !== folder && !LAYERS[folder].includes(f))).map((folder) => {
    const forbidden = folders.filter((f) => f !== folder && !LAYERS[folder].includes(f));
    const up = ['../', '../../', '../../../'];
    const group = forbidden.flatMap((f) => up.map((u) => `${u}${f}/*`));
    if (folder === 'domain') group.push(...up.map((u) => `${u}*`));
    return {
      files: [`src/${folder}/**/*.ts`],
      rules: {
        'no-restricted-imports': [
          'error',
          {
            patterns: [
              {
                group,
                message: `src/${folder} may import only ${[...LAYERS[folder], ...(folder === 'domain' ? [] : ROOT_FILES)].join(', ') || 'its own files'} (eslint.boundaries.js): depend on the domain, not on another adapter or the chaos core`,
              },
            ],
          },
        ],
      },
    };
  });
}

export { ROOT_FILES };
