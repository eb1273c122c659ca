/**
 * Just enough of the Dockerfile syntax to read the environment an image sets: logical lines
 * (backslash continuations, comment lines inside them dropped, as the builder does), stages, and
 * ENV in both forms (`ENV a=1 b="two words"` and the legacy `ENV key value`). Anything it does not
 * understand (variable references, another escape character) throws instead of guessing.
 */

export interface Instruction {
  keyword: string;
  args: string;
  /** 1-based line where the instruction starts. */
  line: number;
}

export interface Stage {
  from: string;
  name: string | undefined;
  instructions: Instruction[];
}

/** Splits a Dockerfile into its stages of instructions. */
export function parseDockerfile(text: string): Stage[] {
  if (/^#\s*escape\s*=/im.test(text.split('\n', 1)[0] ?? '')) throw new Error('parser directive `escape` is not supported');
  const stages: Stage[] = [];
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const start = i;
    const first = lines[i]!.trim();
    if (first === '' || first.startsWith('#')) continue;
    let logical = '';
    let current = lines[i]!;
    for (;;) {
      const continued = /\\\s*$/.test(current);
      logical += continued ? current.replace(/\\\s*$/, '') : current;
      if (!continued) break;
      // Comment and empty lines inside a continuation are removed before the instruction is read.
      do i++;
      while (i < lines.length && (lines[i]!.trim() === '' || lines[i]!.trim().startsWith('#')));
      if (i >= lines.length) break;
      current = lines[i]!;
    }
    const m = /^\s*(\S+)\s*(.*)$/s.exec(logical)!;
    const keyword = m[1]!.toUpperCase();
    const args = m[2]!.trim();
    if (keyword === 'FROM') {
      const from = /^(?:--\S+\s+)*(\S+)(?:\s+AS\s+(\S+))?\s*$/i.exec(args);
      if (from === null) throw new Error(`line ${start + 1}: cannot read FROM ${args}`);
      stages.push({ from: from[1]!, name: from[2], instructions: [] });
      continue;
    }
    const stage = stages.at(-1);
    if (stage === undefined) {
      if (keyword === 'ARG') continue;
      throw new Error(`line ${start + 1}: ${keyword} before any FROM`);
    }
    stage.instructions.push({ keyword, args, line: start + 1 });
  }
  return stages;
}

/** The variables the ENV instructions of one stage set, in order (later ones win). */
export function stageEnv(stage: Stage): Record<string, string> {
  const env: Record<string, string> = {};
  for (const ins of stage.instructions) {
    if (ins.keyword !== 'ENV') continue;
    for (const [k, v] of parseEnvArgs(ins.args, ins.line)) env[k] = v;
  }
  return env;
}

/** `a=1 b="x y" c='z'` or legacy `key the rest of the line`. */
export function parseEnvArgs(args: string, line = 0): [string, string][] {
  const legacy = /^([A-Za-z_][A-Za-z0-9_]*)\s+([^=]*)$/.exec(args);
  if (legacy !== null && !args.includes('=')) return [[legacy[1]!, unquote(legacy[2]!.trim(), line)]];
  const pairs: [string, string][] = [];
  let rest = args;
  while (rest.length > 0) {
    const m = /^([A-Za-z_][A-Za-z0-9_]*)=("(?:[^"\\]|\\.)*"|'[^']*'|(?:[^\s"'\\]|\\.)*)(?:\s+|$)/s.exec(rest);
    if (m === null) throw new Error(`line ${line}: cannot read ENV ${rest}`);
    pairs.push([m[1]!, unquote(m[2]!, line)]);
    rest = rest.slice(m[0].length);
  }
  return pairs;
}

function unquote(raw: string, line: number): string {
  if (raw.startsWith("'")) return raw.slice(1, -1);
  const body = raw.startsWith('"') ? raw.slice(1, -1) : raw;
  if (/(^|[^\\])\$/.test(body)) throw new Error(`line ${line}: variable references in ENV (${raw}) are not supported by this parser`);
  return body.replace(/\\(.)/gs, '$1');
}
