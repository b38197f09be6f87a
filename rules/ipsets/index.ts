export { IpsetWriter } from './writer.js';
export type { IpsetWriterOptions, IpsetUpdateResult } from './writer.js';
export { planIpsets } from './plan.js';
export type { IpsetPlan, IpsetPlanOptions } from './plan.js';
export { parseIpsetSave } from './snapshot.js';
export type { SetSnapshot, IpsetSnapshot } from './snapshot.js';
export { canonicalMember, isOwnedSet, tempSetName } from './names.js';
