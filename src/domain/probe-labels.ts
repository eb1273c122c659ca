/**
 * The names of the per-app probe labels (issue 11). They live in the domain because two readers
 * need them: the probe engine parses their values (src/probe/labels.ts) and the chaos label parser
 * must know them as marathon-monkey labels, or every app that declares a probe would be a bad
 * label. The names are public interface (README "Service probes").
 */
export const PROBE_LABELS = {
  http: 'monkey.probe.http',
  httpPortIndex: 'monkey.probe.http.port-index',
  tcp: 'monkey.probe.tcp',
  tcpSend: 'monkey.probe.tcp.send',
  tcpExpect: 'monkey.probe.tcp.expect',
  tolerance: 'monkey.probe.tolerance',
  timeoutMs: 'monkey.probe.timeout-ms',
  intervalMs: 'monkey.probe.interval-ms',
  maxErrorRate: 'monkey.probe.max-error-rate',
} as const;
