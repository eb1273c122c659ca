/** Small builders for hand-written Marathon answers in client tests. */
import type { ServerResponse } from 'node:http';
import { sendJson, sendText, type Handler } from '../helpers/http-server.js';

export const UUID1 = '1f2e3d4c-0000-11ee-8000-000000000001';
export const UUID2 = '1f2e3d4c-0000-11ee-8000-000000000002';

export function task(id: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    id,
    appId: '/shop/cart',
    host: '10.1.0.11',
    slaveId: 'agent-S3',
    state: 'TASK_RUNNING',
    stagedAt: '2024-03-01T08:00:02.101Z',
    startedAt: '2024-03-01T08:00:05.412Z',
    version: '2024-03-01T08:00:00.000Z',
    ports: [31044],
    servicePorts: [],
    ipAddresses: [],
    healthCheckResults: [],
    localVolumes: [],
    role: '*',
    ...extra,
  };
}

export function app(id = '/shop/cart', tasks: Record<string, unknown>[] = [task(`shop_cart.instance-${UUID1}._app.1`)]): Record<string, unknown> {
  return {
    id,
    instances: tasks.length,
    labels: { chaos: 'allowed' },
    tasksStaged: 0,
    tasksRunning: tasks.length,
    tasksHealthy: 0,
    tasksUnhealthy: 0,
    deployments: [],
    tasks,
  };
}

export const NO_LEADER_PAGE =
  '<html>\n<head>\n<meta http-equiv="Content-Type" content="text/html;charset=utf-8"/>\n<title>Error 502 Could not determine the current leader</title>\n</head>\n<body><h2>HTTP ERROR 502</h2>\n<p>Problem accessing /v2/apps. Reason:\n<pre>    Could not determine the current leader</pre></p>\n</body>\n</html>\n';

export function noLeader(res: ServerResponse): void {
  sendText(res, 502, NO_LEADER_PAGE, 'text/html;charset=iso-8859-1');
}

/**
 * A minimal leader: apps, single app, leader, kill. `leader` is what it puts in X-Marathon-Leader.
 */
export function leaderHandler(opts: { leader?: string; apps?: Record<string, unknown>[] } = {}): Handler {
  const apps = opts.apps ?? [app()];
  return (req, res) => {
    const headers: Record<string, string> = opts.leader === undefined ? {} : { 'X-Marathon-Leader': opts.leader };
    if (req.method === 'GET' && req.path === '/v2/apps') return sendJson(res, 200, { apps }, headers);
    if (req.method === 'GET' && req.path.startsWith('/v2/apps/')) {
      const id = decodeURIComponent(req.path.slice('/v2/apps'.length));
      const found = apps.find((a) => a.id === id);
      return found === undefined ? sendJson(res, 404, { message: `App '${id}' does not exist` }, headers) : sendJson(res, 200, { app: found }, headers);
    }
    if (req.method === 'GET' && req.path === '/v2/leader') return sendJson(res, 200, { leader: opts.leader ?? 'unknown:8080' }, headers);
    if (req.method === 'GET' && req.path === '/v2/info') {
      return sendJson(res, 200, { name: 'marathon', version: '1.10.17', elected: true, leader: opts.leader ?? null, marathon_config: { mesos_leader_ui_url: 'http://127.0.0.1:5050/' } }, headers);
    }
    if (req.method === 'POST' && req.path === '/v2/tasks/delete') {
      const ids = (JSON.parse(req.body) as { ids: string[] }).ids;
      const all = apps.flatMap((a) => a.tasks as Record<string, unknown>[]);
      const key = (id: string): string => id.replace(/\._app\.\d+$/, '');
      const killed = all.filter((t) => ids.some((id) => key(id) === key(t.id as string)));
      return sendJson(res, 200, { tasks: killed }, headers);
    }
    return sendJson(res, 404, { message: 'not found' });
  };
}
