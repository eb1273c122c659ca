/**
 * A test that needs a system tool (promtool, Chromium, ZooKeeper) skips, saying why, only where
 * the tool cannot be installed. `npm test` installs the tools first when it runs as root
 * (scripts/test-tools.sh, its pretest), as CI does: there a missing tool means the install
 * failed, and the test fails instead of passing unseen.
 */
export function skipForMissingTool(ctx: Mocha.Context, message: string): never {
  if (process.getuid?.() === 0) {
    throw new Error(`${message}; npm test installs it when run as root (scripts/test-tools.sh, pretest), so its install failed here: see the pretest output`);
  }
  process.stderr.write(`\n  SKIPPED: ${message}\n`);
  ctx.skip();
}
