import type { SimApp, SimCluster, SimInstance } from './cluster.js';
import { parseTaskId } from './ids.js';
import { FORBIDDEN_MESSAGE } from './auth.js';
import { json, message, type Reply } from './http-util.js';
import { appsListBody, appsListJson, renderDeployment, renderQueue, renderTask, singleAppJson, tasksOf } from './render.js';
import { matchesSelector, parseLabelSelector, SelectorSyntaxError } from './selector.js';

/**
 * The Marathon REST endpoints the chaos client uses, answered from the model as the leader would
 * (docs/marathon-api.md §4–§9). Leader handling, faults and the event stream live in server.ts.
 */

export interface ApiRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  contentType: string | undefined;
  body: () => Promise<string>;
}

export interface ApiContext {
  cluster: SimCluster;
  /** `host:port` of the leading instance, for /v2/leader and /v2/info. */
  leaderHostPort: string;
  leaderPort: number;
  mesosUrl: string;
  version: string;
  /**
   * Scenario `auth.dcos.forbiddenApps`: false for apps the credentials may not see or kill.
   * Like Marathon's authorizer, lists leave such apps out and direct access answers 403.
   */
  canAccess?: (appId: string) => boolean;
  /** Told the task ids of every kill request that reached Marathon's parser (tests match them to intents). */
  onKillRequest?: (ids: readonly string[]) => void;
}

export async function handleApi(req: ApiRequest, ctx: ApiContext): Promise<Reply> {
  const { method, path } = req;
  ctx.cluster.advance();
  if (path === '/v2/apps' || path === '/v2/apps/') return method === 'GET' ? listApps(req, ctx) : notAllowed();
  if (path.startsWith('/v2/apps/')) return appRoutes(req, ctx, path.slice('/v2/apps'.length).replace(/\/+$/, ''));
  if (path === '/v2/tasks') return method === 'GET' ? json(200, { tasks: allTasks(ctx) }) : notAllowed();
  if (path === '/v2/tasks/delete') return method === 'POST' ? await deleteTasks(req, ctx) : notAllowed();
  if (path === '/v2/deployments' || path === '/v2/deployments/') {
    return method === 'GET' ? json(200, [...ctx.cluster.deployments.values()].map(renderDeployment)) : notAllowed();
  }
  if (path.startsWith('/v2/deployments/')) return method === 'DELETE' ? deleteDeployment(ctx, decodeURIComponent(path.slice('/v2/deployments/'.length))) : notAllowed();
  if (path === '/v2/queue') return method === 'GET' ? json(200, renderQueue(ctx.cluster)) : notAllowed();
  if (path === '/v2/leader') return method === 'GET' ? json(200, { leader: ctx.leaderHostPort }) : notAllowed();
  if (path === '/v2/info') return method === 'GET' ? json(200, info(ctx)) : notAllowed();
  return message(404, 'HTTP 404 Not Found');
}

function forbidden(): Reply {
  return message(403, FORBIDDEN_MESSAGE);
}

function visible(ctx: ApiContext, app: SimApp): boolean {
  return ctx.canAccess === undefined || ctx.canAccess(app.id);
}

function notAllowed(): Reply {
  return message(405, 'HTTP 405 Method Not Allowed');
}

function bool(q: URLSearchParams, name: string): boolean {
  return q.get(name) === 'true';
}

function listApps(req: ApiRequest, ctx: ApiContext): Reply {
  const q = req.query;
  let apps: Iterable<SimApp> = ctx.cluster.apps.values();
  const id = q.get('id');
  const cmd = q.get('cmd');
  const label = q.get('label');
  if (id !== null || cmd !== null || label !== null) {
    let terms: ReturnType<typeof parseLabelSelector> | undefined;
    if (label !== null) {
      try {
        terms = parseLabelSelector(label);
      } catch (err) {
        if (err instanceof SelectorSyntaxError) return message(422, err.message);
        throw err;
      }
    }
    const idLower = id?.toLowerCase();
    const cmdLower = cmd?.toLowerCase();
    const out: SimApp[] = [];
    for (const app of ctx.cluster.apps.values()) {
      if (idLower !== undefined && !app.id.toLowerCase().includes(idLower)) continue;
      if (cmdLower !== undefined && !(app.def.cmd ?? '').toLowerCase().includes(cmdLower)) continue;
      if (terms && !matchesSelector(app.labels, terms)) continue;
      out.push(app);
    }
    apps = out;
  }
  if (ctx.canAccess !== undefined) apps = [...apps].filter((a) => visible(ctx, a));
  const withTasks = q.getAll('embed').includes('apps.tasks');
  return { status: 200, body: appsListBody(ctx.cluster, q.toString(), apps, withTasks), contentType: 'application/json; charset=utf-8' };
}

function appNotFound(appId: string): Reply {
  return message(404, `App '${appId}' does not exist`);
}

function appRoutes(req: ApiRequest, ctx: ApiContext, rest: string): Reply {
  const cluster = ctx.cluster;
  const oneTask = /^(.+)\/tasks\/([^/]+)$/.exec(rest);
  if (oneTask && (cluster.app(oneTask[1] as string) || !cluster.app(rest))) {
    if (req.method !== 'DELETE') return notAllowed();
    return killOneTask(req, ctx, oneTask[1] as string, decodeURIComponent(oneTask[2] as string));
  }
  const tasks = /^(.+)\/tasks$/.exec(rest);
  if (tasks && (cluster.app(tasks[1] as string) || !cluster.app(rest))) {
    const appId = tasks[1] as string;
    const app = cluster.app(appId);
    if (!app) return appNotFound(appId);
    if (!visible(ctx, app)) return forbidden();
    if (req.method === 'GET') return json(200, { tasks: tasksOf(app) });
    if (req.method === 'DELETE') return killAppTasks(req, ctx, app);
    return notAllowed();
  }
  if (rest.endsWith('/*')) {
    if (req.method !== 'GET') return notAllowed();
    const prefix = rest.slice(0, -1);
    const apps = [...cluster.apps.values()].filter((a) => a.id.startsWith(prefix) && visible(ctx, a));
    const body = appsListJson(apps, true).replace(/^\{"apps":/, '{"*":');
    return { status: 200, body, contentType: 'application/json; charset=utf-8' };
  }
  if (req.method !== 'GET') return notAllowed();
  const app = cluster.app(rest);
  if (!app) return appNotFound(rest);
  if (!visible(ctx, app)) return forbidden();
  return { status: 200, body: singleAppJson(app), contentType: 'application/json; charset=utf-8' };
}

function allTasks(ctx: ApiContext): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  for (const app of ctx.cluster.apps.values()) if (visible(ctx, app)) out.push(...tasksOf(app));
  return out;
}

function lockedBy(cluster: SimCluster, apps: Iterable<SimApp>): string[] {
  const ids = new Set<string>();
  for (const app of apps) for (const d of app.deployments) if (cluster.deployments.has(d)) ids.add(d);
  return [...ids];
}

function locked(ids: string[]): Reply {
  return message(409, "App is locked by one or more deployments. Override with the option '?force=true'. View details at '/v2/deployments/<DEPLOYMENT_ID>'.", {
    deployments: ids.map((id) => ({ id })),
  });
}

const SCALE_AND_WIPE = 'You cannot use scale and wipe at the same time.';

/**
 * Kill (and maybe scale) the matched instances. The answer is the tasks as they were before the
 * kill: Marathon's kill is fire-and-forget and the response is built from the snapshot it matched.
 */
function killInstances(ctx: ApiContext, matched: SimInstance[], q: URLSearchParams): { reply?: Reply; snapshot: Record<string, unknown>[] } {
  const scale = bool(q, 'scale');
  const wipe = bool(q, 'wipe');
  const force = bool(q, 'force');
  const cluster = ctx.cluster;
  const snapshot = matched.filter((i) => i.hasTask).map(renderTask);
  if (scale) {
    const byApp = new Map<SimApp, SimInstance[]>();
    for (const inst of matched) byApp.set(inst.app, [...(byApp.get(inst.app) ?? []), inst]);
    const lock = lockedBy(cluster, byApp.keys());
    if (lock.length > 0 && !force) return { reply: locked(lock), snapshot };
    const dep = cluster.scaleDownDeployment(byApp);
    return { reply: json(200, { version: dep.version, deploymentId: dep.id }, { 'Marathon-Deployment-Id': dep.id }), snapshot };
  }
  cluster.kill(matched, { wipe });
  return { snapshot };
}

async function deleteTasks(req: ApiRequest, ctx: ApiContext): Promise<Reply> {
  const ct = (req.contentType ?? '').toLowerCase();
  if (!ct.startsWith('application/json')) return message(415, 'HTTP 415 Unsupported Media Type');
  if (bool(req.query, 'scale') && bool(req.query, 'wipe')) return message(400, SCALE_AND_WIPE);
  const text = await req.body();
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch (err) {
    return message(400, 'Invalid JSON', { details: [{ path: '/', errors: [(err as Error).message] }] });
  }
  const ids = (body as { ids?: unknown } | null)?.ids;
  if (typeof body !== 'object' || body === null || ids === undefined) {
    return message(422, 'Invalid JSON', { details: [{ path: '/ids', errors: ['error.path.missing'] }] });
  }
  if (!Array.isArray(ids)) return message(422, 'Invalid JSON', { details: [{ path: '/ids', errors: ['error.expected.jsarray'] }] });
  const bad = ids.findIndex((x) => typeof x !== 'string');
  if (bad >= 0) return message(422, 'Invalid JSON', { details: [{ path: `/ids(${bad})`, errors: ['error.expected.jsstring'] }] });
  ctx.onKillRequest?.(ids as string[]);
  // Every id is parsed before anything is killed: one bad id rejects the whole request.
  for (const id of ids as string[]) {
    const parsed = parseTaskId(id);
    if (!parsed.ok) return message(parsed.status, parsed.message);
  }
  const matched: SimInstance[] = [];
  const seen = new Set<SimInstance>();
  for (const id of ids as string[]) {
    const inst = ctx.cluster.instanceForTaskId(id);
    if (inst && !seen.has(inst)) {
      seen.add(inst);
      matched.push(inst);
    }
  }
  // Marathon checks the permission on every app it matched before killing anything.
  if (matched.some((i) => !visible(ctx, i.app))) return forbidden();
  const { reply, snapshot } = killInstances(ctx, matched, req.query);
  return reply ?? json(200, { tasks: snapshot });
}

function killOneTask(req: ApiRequest, ctx: ApiContext, appId: string, taskId: string): Reply {
  const app = ctx.cluster.app(appId);
  if (!app) return appNotFound(appId);
  if (!visible(ctx, app)) return forbidden();
  if (bool(req.query, 'scale') && bool(req.query, 'wipe')) return message(400, SCALE_AND_WIPE);
  const inst = ctx.cluster.instanceForTaskId(taskId);
  if (!inst || inst.app !== app || !inst.hasTask) return message(404, `Task '${taskId}' does not exist`);
  const { reply, snapshot } = killInstances(ctx, [inst], req.query);
  return reply ?? json(200, { task: snapshot[0] });
}

function killAppTasks(req: ApiRequest, ctx: ApiContext, app: SimApp): Reply {
  if (bool(req.query, 'scale') && bool(req.query, 'wipe')) return message(400, SCALE_AND_WIPE);
  const host = req.query.get('host');
  const matched = app.instances.filter((i) => i.hasTask && (host === null || host === '*' || i.agent?.hostname === host));
  const { reply, snapshot } = killInstances(ctx, matched, req.query);
  return reply ?? json(200, { tasks: snapshot });
}

function deleteDeployment(ctx: ApiContext, id: string): Reply {
  const dep = ctx.cluster.deployments.get(id);
  if (!dep) return message(404, `DeploymentPlan ${id} does not exist`);
  ctx.cluster.cancelDeployment(id);
  return json(200, { deploymentId: id, version: dep.version }, { 'Marathon-Deployment-Id': id });
}

function info(ctx: ApiContext): Record<string, unknown> {
  const c = ctx.cluster;
  return {
    name: 'marathon',
    version: ctx.version,
    buildref: 'simulated',
    elected: true,
    leader: ctx.leaderHostPort,
    frameworkId: c.frameworkId,
    marathon_config: {
      checkpoint: true,
      executor: '//cmd',
      failover_timeout: 604800,
      features: c.taskKilling ? ['task_killing'] : [],
      framework_name: 'marathon',
      ha: true,
      hostname: ctx.leaderHostPort.split(':')[0],
      leader_proxy_connection_timeout_ms: 5000,
      leader_proxy_read_timeout_ms: 10000,
      local_port_max: 20000,
      local_port_min: 10000,
      master: 'zk://127.0.0.1:2181/mesos',
      mesos_leader_ui_url: `${ctx.mesosUrl}/`,
      mesos_role: '*',
      mesos_user: 'root',
      webui_url: null,
    },
    zookeeper_config: {
      zk: 'zk://127.0.0.1:2181/marathon',
      zk_compression: true,
      zk_compression_threshold: 65536,
      zk_connection_timeout: 10000,
      zk_max_node_size: 1024000,
      zk_max_versions: 50,
      zk_session_timeout: 10000,
      zk_timeout: 10000,
    },
    http_config: { http_port: ctx.leaderPort, https_port: 8443 },
  };
}
