// Public surface of the felix-ts agent: configuration, logging, health, metrics and the daemon.
// (agent/calc, agent/model, and agent/selector export their own surfaces.)
export * from './config/index.js';
export * from './log/index.js';
export * from './health/index.js';
export * from './metrics/index.js';
export * from './daemon/index.js';
export { main } from './cli/main.js';
