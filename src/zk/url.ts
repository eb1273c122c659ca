import { ConfigError } from '../errors.js';

/** zk://[user:password@]host1:2181,host2:2181/path — the URL form Mesos and Marathon take (--zk). */
export interface ZkTarget {
  /** `h1:2181,h2:2181`, node-zookeeper-client's connection string (no chroot: every path is absolute). */
  servers: string;
  /** The monkey's own node, e.g. `/marathon-monkey`: never `/`. */
  root: string;
  /** Digest authentication (ZooKeeper's `digest` scheme). */
  auth?: { user: string; password: string };
}

const HINT =
  'write it as zk://[user:password@]host1:2181,host2:2181/marathon-monkey — the form Mesos and Marathon take for --zk; percent-encode @ : / in the user or password (%40 %3A %2F)';

/**
 * Parses and checks a ZooKeeper URL. Throws a ConfigError naming every problem found (the
 * password is never repeated in a message). `key` names the setting in those messages.
 */
export function parseZkUrl(url: string, key = 'state.zk (MONKEY_ZK)'): ZkTarget {
  const problems: string[] = [];
  const shown = maskZkUrl(url);
  const bad = (what: string): ConfigError => new ConfigError([`${key}=${shown}: ${what}`], HINT);
  if (typeof url !== 'string' || url.trim() === '') throw bad('is empty');
  if (url !== url.trim()) throw bad('has spaces around it');
  const scheme = /^([A-Za-z][A-Za-z0-9+.-]*):\/\//.exec(url);
  if (!scheme) throw bad('is not a URL: it must start with zk://');
  if (scheme[1]!.toLowerCase() !== 'zk') throw bad(`has scheme ${scheme[1]}:// — only zk:// is understood`);
  const rest = url.slice(scheme[0].length);
  const slash = rest.indexOf('/');
  const authority = slash < 0 ? rest : rest.slice(0, slash);
  const path = slash < 0 ? '' : rest.slice(slash);

  let hosts = authority;
  let auth: ZkTarget['auth'];
  const at = authority.indexOf('@');
  if (at >= 0) {
    if (authority.indexOf('@', at + 1) >= 0) {
      problems.push('has more than one @ before the path: percent-encode an @ in the password as %40');
      hosts = authority.slice(authority.lastIndexOf('@') + 1);
    } else {
      hosts = authority.slice(at + 1);
      const creds = authority.slice(0, at);
      const colon = creds.indexOf(':');
      const user = decode(colon < 0 ? creds : creds.slice(0, colon));
      const password = colon < 0 ? undefined : decode(creds.slice(colon + 1));
      if (user === undefined || password === undefined && colon >= 0) problems.push('has a badly percent-encoded user or password');
      else if (user === '' && password !== undefined && password !== '') problems.push('has a password but no user: digest auth needs user:password@');
      else if (user === '') problems.push('has an @ but no credentials before it: remove the @ or write user:password@');
      else if (password === undefined || password === '') problems.push(`has user ${user} but no password: digest auth needs user:password@`);
      else auth = { user, password };
    }
  }

  const servers: string[] = [];
  if (hosts === '') problems.push('names no ZooKeeper host: list host:port pairs separated by commas, e.g. zk-1:2181,zk-2:2181');
  else {
    for (const entry of hosts.split(',')) {
      const server = parseServer(entry);
      if (typeof server === 'string') servers.push(server);
      else problems.push(server.problem);
    }
  }

  if (path === '' || path === '/') {
    problems.push('has no path: give the monkey its own node, e.g. /marathon-monkey (the root / is refused: the monkey would share it with everything else)');
  } else {
    const p = pathProblem(path);
    if (p) problems.push(p);
  }
  if (problems.length > 0) throw new ConfigError(problems.map((p) => `${key}=${shown}: ${p}`), HINT);
  return { servers: servers.join(','), root: path, ...(auth ? { auth } : {}) };
}

function decode(s: string): string | undefined {
  try {
    return decodeURIComponent(s);
  } catch {
    return undefined;
  }
}

function parseServer(entry: string): string | { problem: string } {
  if (entry === '') return { problem: 'has an empty host in its list (two commas, or one at an end)' };
  const m = /^(\[[0-9A-Fa-f:.]+\]|[^:[\]]+)(?::([^:]*))?$/.exec(entry);
  if (!m) return { problem: `has host ${entry}, which is not host or host:port (write an IPv6 address in brackets: [::1]:2181)` };
  const host = m[1]!;
  if (!/^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9._-]+)$/.test(host)) return { problem: `has host ${host}, which is not a host name or address` };
  if (m[2] === undefined) return `${host}:2181`;
  const port = m[2];
  if (!/^\d{1,5}$/.test(port) || Number(port) < 1 || Number(port) > 65535) return { problem: `has port ${port || '(empty)'} for ${host}: a port is a number from 1 to 65535 (ZooKeeper's is usually 2181)` };
  return `${host}:${Number(port)}`;
}

function pathProblem(path: string): string | undefined {
  if (/[?#]/.test(path)) return 'has a ? or # in its path: ZooKeeper URLs take no query or fragment';
  if (path.endsWith('/')) return `has path ${path}, which ends with /: remove the trailing slash`;
  const segments = path.slice(1).split('/');
  if (segments.some((s) => s === '')) return `has path ${path} with an empty segment (//)`;
  if (segments.some((s) => s === '.' || s === '..')) return `has path ${path} with a . or .. segment: ZooKeeper paths are absolute, without them`;
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f-\u009f\ud800-\uf8ff\ufff0-\uffff]/.test(path)) return `has path ${JSON.stringify(path)} with a character ZooKeeper refuses in node names`;
  if (segments[0] === 'zookeeper') return `has path ${path} under /zookeeper, which ZooKeeper reserves for itself`;
  return undefined;
}

/** The URL with its password replaced by *** (user:***@): safe to print and log. */
export function maskZkUrl(url: string): string {
  if (typeof url !== 'string') return String(url);
  const m = /^([A-Za-z][A-Za-z0-9+.-]*:\/\/)(.*)$/.exec(url);
  const prefix = m ? m[1]! : '';
  const rest = m ? m[2]! : url;
  const at = rest.lastIndexOf('@');
  if (at < 0) return url;
  const creds = rest.slice(0, at);
  const colon = creds.indexOf(':');
  // Everything from the first colon to the last @ may be password (an unencoded @ in it included).
  return `${prefix}${colon < 0 ? creds : `${creds.slice(0, colon)}:***`}@${rest.slice(at + 1)}`;
}
