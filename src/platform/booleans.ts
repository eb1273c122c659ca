/**
 * The one reading of a boolean written by a person, shared by the configuration (MONKEY_DRY_RUN,
 * MONKEY_OPT_IN, …) and the app labels (`monkey.enabled`): an operator who writes `no` in one place
 * must get the same answer in the other. Anything else is not a boolean, never a quiet default.
 */

export const TRUE_WORDS: readonly string[] = ['true', '1', 'yes', 'on'];
export const FALSE_WORDS: readonly string[] = ['false', '0', 'no', 'off'];

const TRUE = new Set(TRUE_WORDS);
const FALSE = new Set(FALSE_WORDS);

/** `true/1/yes/on` → true, `false/0/no/off` → false (case-insensitive, trimmed); anything else → undefined. */
export function parseBoolean(text: string): boolean | undefined {
  const v = text.trim().toLowerCase();
  if (TRUE.has(v)) return true;
  if (FALSE.has(v)) return false;
  return undefined;
}
