/**
 * Validation of the Mesos master's `/master/slaves` answer (docs/marathon-api.md §11) into
 * MesosAgent. Attribute values are kept as Mesos renders them: text and range/set as strings
 * (`"[0-3]"`, `"{gpu,fast}"`), scalars as numbers.
 */
import { describeBodyProblem, JsonReader, key, parseJsonText } from '../http/json.js';
import { MesosError } from './errors.js';
import type { AttributeValue, MesosAgent } from '../domain/agent.js';

function reader(endpoint: string, status: number | undefined): JsonReader {
  return new JsonReader((path, problem) => {
    throw new MesosError('E_MESOS_BAD_RESPONSE', `GET ${endpoint}: unexpected answer from the Mesos master: ${path}: ${problem}`, status === undefined ? { endpoint } : { endpoint, status });
  });
}

export function parseMesosBody(text: string, contentType: string | undefined, endpoint: string, status: number): unknown {
  const parsed = parseJsonText(text, contentType);
  if (!parsed.ok) {
    throw new MesosError('E_MESOS_BAD_RESPONSE', `GET ${endpoint}: the Mesos master ${describeBodyProblem(parsed.problem, status)}`, { endpoint, status });
  }
  return parsed.value;
}

/**
 * `{"slaves": [...], "recovered_slaves": [...]}` → the registered agents. Recovered agents (not yet
 * reregistered after a master failover) are left out: nothing can be placed on them now.
 * Also reads `/master/state`, whose `slaves` have the same shape.
 */
export function parseAgents(body: unknown, endpoint = '/master/slaves', status?: number): MesosAgent[] {
  const r = reader(endpoint, status);
  const root = r.object(body, '$');
  return r.array(root.slaves, '$.slaves').map((a, i) => parseAgent(r, a, `$.slaves[${i}]`));
}

function parseAgent(r: JsonReader, v: unknown, path: string): MesosAgent {
  const o = r.object(v, path);
  const agent: MesosAgent = {
    id: r.nonEmptyString(o.id, `${path}.id`),
    hostname: r.nonEmptyString(o.hostname, `${path}.hostname`),
    attributes: parseAttributes(r, o.attributes, `${path}.attributes`),
    // Every Mesos 1.x master sends `active`; agent lists made by hand (and dcos-ui fixtures) may not.
    active: r.optBoolean(o.active, `${path}.active`) ?? true,
  };
  const port = r.optNumber(o.port, `${path}.port`);
  if (port !== undefined) agent.port = port;
  if (o.domain !== undefined && o.domain !== null) {
    const domain = r.object(o.domain, `${path}.domain`);
    if (domain.fault_domain !== undefined && domain.fault_domain !== null) {
      const fd = r.object(domain.fault_domain, `${path}.domain.fault_domain`);
      const region = faultDomainName(r, fd.region, `${path}.domain.fault_domain.region`);
      const zone = faultDomainName(r, fd.zone, `${path}.domain.fault_domain.zone`);
      if (region !== undefined) agent.region = region;
      if (zone !== undefined) agent.zone = zone;
    }
  }
  return agent;
}

function faultDomainName(r: JsonReader, v: unknown, path: string): string | undefined {
  if (v === undefined || v === null) return undefined;
  return r.string(r.object(v, path).name, `${path}.name`);
}

function parseAttributes(r: JsonReader, v: unknown, path: string): Record<string, AttributeValue> {
  if (v === undefined || v === null) return {};
  const o = r.object(v, path);
  const out: Record<string, AttributeValue> = {};
  for (const [k, val] of Object.entries(o)) {
    if (typeof val === 'string') out[k] = val;
    else out[k] = r.number(val, `${path}${key(k)}`);
  }
  return out;
}
