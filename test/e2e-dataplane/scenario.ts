// The desired states used by the namespace tests.
import type { DesiredState } from '../../rules/model.js';
import { mkSet, mkSets, mkTable } from '../unit/rules/writer-fixtures.js';

export interface ScenarioOpts {
  readonly port?: number;
  readonly forwardMark?: string;
  readonly extraChain?: readonly string[];
}

export function scenario(o: ScenarioOpts = {}): DesiredState {
  const chains: Record<string, readonly string[]> = {
    'cali-INPUT': ['--jump cali-pi-gnp/allow', '-m comment --comment "Policy end" --jump RETURN'],
    'cali-pi-gnp/allow': [
      `-p tcp -m set --match-set cali40s:blocked src -m multiport --destination-ports ${o.port ?? 9090} --jump DROP`,
    ],
    'cali-FORWARD': [`--jump MARK --set-mark ${o.forwardMark ?? '0/0x1a0000'}`],
  };
  if (o.extraChain) {
    chains['cali-extra'] = o.extraChain;
    chains['cali-FORWARD'] = [...chains['cali-FORWARD']!, '--jump cali-extra'];
  }
  return {
    tables: [
      mkTable('filter', 4, {
        chains,
        inserts: { INPUT: ['--jump cali-INPUT'], FORWARD: ['--jump cali-FORWARD'] },
        appends: { FORWARD: ['-m mark --mark 0x10000/0x10000 --jump ACCEPT'] },
      }),
      mkTable('mangle', 4, {
        chains: { 'cali-PREROUTING': ['-m conntrack --ctstate RELATED,ESTABLISHED --jump ACCEPT'] },
        inserts: { PREROUTING: ['--jump cali-PREROUTING'] },
      }),
    ],
    ipsets: mkSets(mkSet('cali40s:blocked', 'hash:net', ['10.99.0.2/32', '10.98.0.0/16'])),
  };
}

export const EMPTY: DesiredState = { tables: [], ipsets: new Map() };
