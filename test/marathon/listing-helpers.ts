/** Shared by the listing-parser equivalence tests (parse-bytes, parse-stream). */

export const ctx = { method: 'GET', endpoint: '/v2/apps', status: 200 };

/** A minimal raw app as Marathon would list it, one running task. */
export function app(id: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    id,
    instances: 1,
    labels: { team: 'x' },
    tasksStaged: 0,
    tasksRunning: 1,
    tasksHealthy: 0,
    tasksUnhealthy: 0,
    tasks: [{ id: `${id.slice(1)}.t1`, appId: id, host: 'h', state: 'TASK_RUNNING', ports: [1] }],
    ...extra,
  };
}

/** The value or the error message: two parsers agree when these are deep-equal. */
export function outcome(f: () => unknown): { value?: unknown; error?: string } {
  try {
    return { value: f() };
  } catch (e) {
    return { error: (e as Error).message };
  }
}
