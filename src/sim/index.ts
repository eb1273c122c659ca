/**
 * The simulated Marathon + Mesos cluster: a product feature (`marathon-monkey sim`, the demo) and
 * the server every client and chaos test talks to. Behaviour follows docs/marathon-api.md.
 */
export { startSimulator } from './server.js';
export type { StartSimOptions, RunningSim, RequestLogEntry, StreamFaults } from './server.js';
export { loadScenario, parseScenario, generateSyntheticScenario, DEFAULT_FAULTS, DEFAULT_TIMINGS } from './scenario.js';
export { ACS_LOGIN_PATH } from './auth.js';
export type { LoginRecord } from './auth.js';
export type { SimAuthConfig, Scenario, ScenarioApp, ScenarioAgent, ScenarioHealthCheck, ScenarioTimings, FaultSettings, Weakness, AttributeValue, ScenarioServe } from './scenario.js';
export { SimCluster, SimApp, SimInstance, SERVE_HOST } from './cluster.js';
export { ServeEndpoints, taskAnswer } from './serve.js';
export type { TaskAnswer } from './serve.js';
export type { SimAgent, SimEvent, SimDeployment, HealthResult, InstanceState } from './cluster.js';
export { countsOf } from './render.js';
export { parseTaskId, safeAppId } from './ids.js';
