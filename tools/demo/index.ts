export { runDemo } from './demo.js';
export type { DemoOptions } from './demo.js';
export { DEMO_HOST, DEMO_PODS, INITIAL_FLOWS, UPDATED_FLOWS, demoCluster, demoUpdate } from './cluster.js';
export type { DemoPod, Flow, KV } from './cluster.js';
export { DemoNetwork } from './netns.js';
export type { FlowResult } from './netns.js';
