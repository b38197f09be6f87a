// Public surface of the e2e harness (used by the e2e tests and bench/e2e-enforcement).
export { AgentProcess, HEALTH_PORT, type AgentOpts, type HealthResult } from './agent.js';
export { Cluster, type ClusterOpts, type ClusterPodSpec } from './cluster.js';
export { CommandError, inNs, isRoot, must, run, type RunResult } from './exec.js';
export { figure, pollUntil, PollTimeoutError, sleep } from './poll.js';
export { makeE2ePki, type E2ePki } from './pki.js';
export { caliName, Topology, type Pod, type PodSpec, type TyphaSite } from './topology.js';
export {
  allow,
  deny,
  expectMatrix,
  flowName,
  measureFlip,
  probe,
  probeAll,
  type Flow,
  type FlowResult,
} from './traffic.js';
export { TYPHA_PORT, TyphaProcess } from './typha.js';
export { NetnsWorker, type ConnectResult } from './worker.js';
export * as kv from './fixtures/kv.js';
export * as hostile from './fixtures/hostile.js';
