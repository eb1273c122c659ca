/**
 * Keeps one instance of a short-lived class alive for the life of the process.
 *
 * V8 gives the instances of a class a hidden class (a "map") that it reaches from the class only
 * through weak links. When a full collection finds no instance alive, the map is freed and every
 * optimised function that was specialised on it is thrown away ("deoptimization, reason: weak
 * objects" in `--trace-deopt`). The daemon collects its heap when it is idle between cycles
 * (heap-keeper.ts), exactly when the readers of the last listing are all gone, so the parser's
 * hot functions were thrown away at every collection and compiled again in the next cycle, about
 * 25 compilations per 50 cycles for as long as the daemon ran, each leaving code-space and malloc
 * fragments behind. One instance that lives as long as the process keeps the map, and the code.
 *
 * Called where the class is first used, never at import: importing a module does no work, and
 * nothing is kept for a class the process never uses.
 */
const kept = new Map<string, unknown>();

/** On the first call for `name`, makes one instance with `make` and keeps it; later calls do nothing. */
export function keepShape(name: string, make: () => unknown): void {
  if (!kept.has(name)) kept.set(name, make());
}
