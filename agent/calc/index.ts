// Public surface of the calculation graph (felix/calc/calc_graph.go).
export { CalcGraph } from './calc-graph.js';
export type {
  CalcGraphOptions,
  CalcLogger,
  CalcStats,
  EndpointCandidate,
  EndpointDescription,
  OverlayFacts,
  TierDescription,
} from './types.js';
export {
  encapChanged,
  ENCAP_CHANGED_LOG,
  type Encapsulation,
  EncapsulationCalculator,
} from './encapsulation.js';
export type { TunnelConfigName } from './host-metadata.js';
export { LabelIndex, type MatchListener } from './label-index.js';
export { IPSetCalculator, type IPSetSpec } from './ipsets.js';
export { convertRule, convertRules } from './rule-convert.js';
export { compareTiers, comparePolicies } from './sorting.js';
// The calculators CalcGraph wires, and the sink interfaces a new calculator reports through.
export { ConfigBatcher } from './config-batcher.js';
export { ActiveRulesCalculator } from './active-rules.js';
export { RuleScanner } from './rule-scanner.js';
export { resolveTiers, type TierLists } from './policy-resolver.js';
export { Endpoints } from './endpoints.js';
export {
  EventSequencer,
  type ConfigSink,
  type EndpointSink,
  type IPSetSink,
  type RulesSink,
} from './event-sequencer.js';
