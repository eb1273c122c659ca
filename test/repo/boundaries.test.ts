import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const SRC = join(ROOT, 'src');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? sourceFiles(p) : p.endsWith('.ts') ? [p] : [];
  });
}

/** Every relative import (static, type-only and dynamic `import()`) of every file under src/. */
function importGraph(): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  const spec = /(?:from\s+|import\s*\(\s*|^import\s+)'(\.[^']+)'/gm;
  for (const file of sourceFiles(SRC)) {
    const text = readFileSync(file, 'utf8');
    const targets: string[] = [];
    for (const m of text.matchAll(spec)) targets.push(normalize(join(dirname(file), (m[1] as string).replace(/\.js$/, '.ts'))));
    graph.set(file, targets);
  }
  return graph;
}

/** src/chaos/phases/kill.ts → chaos; src/errors.ts → (root). */
const folderOf = (file: string): string => {
  const rel = relative(SRC, file).split('/');
  return rel.length > 1 ? (rel[0] as string) : '(root)';
};

/** Strongly connected components with more than one file (Tarjan). */
function cycles(graph: Map<string, string[]>): string[][] {
  let index = 0;
  const idx = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const on = new Set<string>();
  const out: string[][] = [];
  const visit = (v: string): void => {
    idx.set(v, index);
    low.set(v, index++);
    stack.push(v);
    on.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!graph.has(w)) continue;
      if (!idx.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (on.has(w)) low.set(v, Math.min(low.get(v)!, idx.get(w)!));
    }
    if (low.get(v) === idx.get(v)) {
      const scc: string[] = [];
      for (;;) {
        const w = stack.pop()!;
        on.delete(w);
        scc.push(w);
        if (w === v) break;
      }
      if (scc.length > 1) out.push(scc.map((f) => relative(ROOT, f)).sort());
    }
  };
  for (const v of graph.keys()) if (!idx.has(v)) visit(v);
  return out;
}

describe('source boundaries (eslint.boundaries.js)', () => {
  let LAYERS: Record<string, string[]>;
  let ROOT_FILES: string[];
  before(async () => {
    // eslint.boundaries.js is plain JS for the lint config; read its table the same way.
    ({ LAYERS, ROOT_FILES } = (await import(new URL('../../eslint.boundaries.js', import.meta.url).href)) as { LAYERS: Record<string, string[]>; ROOT_FILES: string[] });
  });

  it('names every folder of src/ and only those', () => {
    const folders = readdirSync(SRC).filter((n) => statSync(join(SRC, n)).isDirectory()).sort();
    assert.deepEqual(Object.keys(LAYERS).sort(), folders);
  });

  it('the layering table has no cycle (so lint can never allow one between folders)', () => {
    const graph = new Map(Object.entries(LAYERS).map(([f, deps]) => [f, deps]));
    const seen = new Map<string, 'open' | 'done'>();
    const walk = (f: string, path: string[]): void => {
      if (seen.get(f) === 'done') return;
      assert.notEqual(seen.get(f), 'open', `cycle: ${[...path, f].join(' → ')}`);
      seen.set(f, 'open');
      for (const d of graph.get(f) ?? []) walk(d, [...path, f]);
      seen.set(f, 'done');
    };
    for (const f of graph.keys()) walk(f, []);
  });

  it('every import between folders is one the table allows; the domain imports nothing of ours', () => {
    const bad: string[] = [];
    for (const [file, targets] of importGraph()) {
      const from = folderOf(file);
      for (const t of targets) {
        const to = folderOf(t);
        if (to === from) continue;
        const rootFile = to === '(root)' ? relative(SRC, t).replace(/\.ts$/, '') : undefined;
        const ok = from === '(root)' || (rootFile !== undefined ? from !== 'domain' && ROOT_FILES.includes(rootFile) : LAYERS[from]?.includes(to));
        if (!ok) bad.push(`${relative(ROOT, file)} → ${relative(ROOT, t)}`);
      }
    }
    assert.deepEqual(bad, []);
  });

  it('no two source files import each other, directly or round a loop (the cli circle stays broken)', () => {
    assert.deepEqual(cycles(importGraph()), []);
  });
});
