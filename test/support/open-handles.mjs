// Root hook: after the whole suite, if the process has not exited 10 s later, print what still
// holds it open (a server, socket, child process or timer a test forgot to close), then exit
// non-zero so CI fails loudly instead of hanging until its time limit.
export const mochaHooks = {
  afterAll() {
    const timer = setTimeout(() => {
      const handles = process._getActiveHandles().map((h) => {
        const name = h?.constructor?.name ?? typeof h;
        if (name === 'Server' || name === 'Socket') {
          const a = typeof h.address === 'function' ? h.address() : undefined;
          return `${name} ${a ? JSON.stringify(a) : ''} remote=${h.remoteAddress ?? ''}:${h.remotePort ?? ''}`;
        }
        if (name === 'ChildProcess') return `ChildProcess pid=${h.pid} ${h.spawnargs?.join(' ') ?? ''}`;
        return name;
      });
      process.stderr.write(`\nthe test process is still running 10 s after the suite; open handles:\n  ${handles.join('\n  ')}\n`);
      process.exit(3);
    }, 10_000);
    timer.unref();
  },
};
