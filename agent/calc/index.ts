// Public surface of the calculation graph (felix-datamodel-and-calc.md §5).
export { CalcGraph } from './calc-graph.js';
export type {
  CalcGraphOptions,
  CalcLogger,
  CalcStats,
  EndpointDescription,
  TierDescription,
} from './types.js';
export { LabelIndex, type MatchListener } from './label-index.js';
export { IPSetCalculator, type IPSetSpec } from './ipsets.js';
export { convertRule, convertRules } from './rule-convert.js';
export { compareTiers, comparePolicies } from './sorting.js';
