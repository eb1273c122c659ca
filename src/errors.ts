/**
 * One base error with a stable `code`, a `hint` that tells the operator what to do, and an
 * optional `cause`. Callers branch on the class or the code, never on message text (the got model).
 * Every error that reaches the CLI is printed as `code: message (hint)`, so each subclass must
 * say what went wrong and how to fix it in words an operator can act on.
 */
export class MonkeyError extends Error {
  override readonly name: string = 'MonkeyError';
  readonly code: string;
  readonly hint: string | undefined;

  constructor(code: string, message: string, options: { hint?: string; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.hint = options.hint;
  }
}

/** Configuration or CLI input is invalid. `problems` lists each one (key, value, fix). */
export class ConfigError extends MonkeyError {
  override readonly name = 'ConfigError';
  readonly problems: readonly string[];
  constructor(problems: readonly string[], hint?: string) {
    super('E_CONFIG', `invalid configuration:\n  - ${problems.join('\n  - ')}`, hint === undefined ? {} : { hint });
    this.problems = problems;
  }
}

/** A command-line argument is wrong. */
export class UsageError extends MonkeyError {
  override readonly name = 'UsageError';
  constructor(message: string, hint = 'run `marathon-monkey help` for the commands and flags') {
    super('E_USAGE', message, { hint });
  }
}

/** A scenario file for the simulator is invalid. */
export class ScenarioError extends MonkeyError {
  override readonly name = 'ScenarioError';
  readonly problems: readonly string[];
  constructor(file: string, problems: readonly string[]) {
    super('E_SCENARIO', `scenario ${file} is invalid:\n  - ${problems.join('\n  - ')}`, {
      hint: 'fix the fields named above; config/demo-scenario.json is a complete example',
    });
    this.problems = problems;
  }
}
