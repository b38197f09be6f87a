export { HealthAggregator, REPORTER, CALC_GRAPH_TIMEOUT_MS } from './aggregator.js';
export type { HealthReport, ReporterStatus, HealthSummary, AggregatorOptions } from './aggregator.js';
export { renderHealthTable } from './table.js';
export { HealthServer } from './server.js';
export type { HealthServerOptions, DebugHandler, DebugResponse, HealthJson } from './server.js';
