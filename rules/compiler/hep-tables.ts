// The untracked host-endpoint dispatch of the raw table (felix/rules/rule_defs.go
// ChainDispatchFromHostEndpoint / ChainDispatchToHostEndpoint; felix/rules/dispatch.go
// HostDispatchChains for the raw table). raw-table.ts jumps to both chains from cali-PREROUTING and
// cali-OUTPUT, so they must always exist.
import type { IChain } from './rule.js';
import type { TableInput } from './table.js';

export const RAW_HEP_CHAIN = {
  fromHostEndpoint: 'cali-from-host-endpoint',
  toHostEndpoint: 'cali-to-host-endpoint',
} as const;

/** The raw table's two host-endpoint dispatch chains for one family. */
export function rawHostEndpointChains(input: TableInput): IChain[] {
  void input;
  // filled with untracked host-endpoint policy: owned by the hep-tables work
  return [
    { name: RAW_HEP_CHAIN.fromHostEndpoint, rules: [] },
    { name: RAW_HEP_CHAIN.toHostEndpoint, rules: [] },
  ];
}
