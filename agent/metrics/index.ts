export { AgentMetrics, RESYNC_STATE } from './metrics.js';
export type { CalcCounts, DataplaneCounts, TyphaCounts, MetricsSources } from './metrics.js';
export { MetricsServer } from './server.js';
