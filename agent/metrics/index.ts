export { AgentMetrics, RESYNC_STATE } from './metrics.js';
export type { CalcCounts, TyphaCounts, MetricsSources } from './metrics.js';
export { dataplaneCounts } from './dataplane-counts.js';
export type { DataplaneCounts, DriverCounters, CountedDriver } from './dataplane-counts.js';
export { keyTypeLabel } from './key-type.js';
export { MetricsServer } from './server.js';
