/** Steady-state probes of the service itself (issue 11): labels, targets, one probe, the sampler. */
export { parseProbeLabels, PROBE_LABELS, type HttpCheck, type ProbeCheck, type ProbeDefaults, type ProbeLabelParse, type ProbeSpec, type TcpCheck } from './labels.js';
export { probeTargets, type HttpTarget, type ProbeTarget, type TcpTarget, type Targets, type Unprobed } from './targets.js';
export { checkAllowed, MAX_PROBE_ANSWER_BYTES, MAX_PROBE_BODY_BYTES, probe, ProbeNotAllowedError, targetAllowed, type ProbeOptions, type ProbeResult } from './probe.js';
export { probeFigures, runSampler, startSampler, withinBudget, type ProbeFigures, type ProbeRun, type RunningSampler, type Sample, type SamplerOptions } from './sampler.js';
export { describeCheck, failureKind, ServiceProbes, type ServiceProbesOptions } from './prober.js';
