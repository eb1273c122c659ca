/** The Chaos Toolkit journal schema (test/fixtures/chaostoolkit, see its SOURCES.md), compiled once. */
import { readFileSync } from 'node:fs';
import { Ajv, type ValidateFunction } from 'ajv';

let compiled: ValidateFunction | undefined;

/** The schema's complaints about `journal`, one line each; empty when it conforms. */
export function journalProblems(journal: unknown): string[] {
  if (compiled === undefined) {
    const schema = JSON.parse(readFileSync(new URL('../fixtures/chaostoolkit/journal.schema.json', import.meta.url), 'utf8')) as object;
    compiled = new Ajv({ allErrors: true, strict: true, strictTypes: false, strictRequired: false }).compile(schema);
  }
  return compiled(journal) ? [] : (compiled.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message ?? ''} ${JSON.stringify(e.params)}`);
}
