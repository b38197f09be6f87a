export { TableWriter } from './table-writer.js';
export type { TableWriterOptions, TableApplyResult } from './table-writer.js';
export { planTable } from './plan.js';
export type { TablePlan } from './plan.js';
export { parseSave, EMPTY_SNAPSHOT } from './snapshot.js';
export type { TableSnapshot, SnapshotRule } from './snapshot.js';
export { ruleSpec, checkTableState } from './render.js';
export { OWNED_CHAIN_RE, HASH_COMMENT_RE, isOwnedChain, BUILTIN_CHAINS } from './owned.js';
