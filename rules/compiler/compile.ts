// compile(): DataplaneState + CompilerConfig -> DesiredState: the desired IP sets, then each table
// module (TABLES) for each IP family. A table module fills a TableBuilder (table.ts); the filter table is
// filter-table.ts, then raw-table.ts, mangle-table.ts and nat-table.ts.
import type { DesiredState, IpFamily, IpSetState, IpSetType, TableState } from '../model.js';
import type { CompilerConfig } from './config.js';
import { validateCompilerConfig } from './config.js';
import { CompilerConfigError } from './errors.js';
import { allocateMarks } from './marks.js';
import { ipSetName } from './names.js';
import type { DataplaneState } from './state.js';
import { compileFilterTable } from './filter-table.js';
import { compileNatTable, poolIpSets } from './nat-table.js';
import { compileMangleTable, mangleIpSets } from './mangle-table.js';
import { overlayIpSets } from './overlay-sets.js';
import { compileRawTable, workloadInterfaces } from './raw-table.js';
import type { TableCompiler, TableInput } from './table.js';
import { tierPlanner } from './tier-planner.js';
import { resolveKubeIPVS, thisHostIpSets } from './ipvs-chains.js';

export interface CompileReport {
  readonly desired: DesiredState;
  /** Things that were compiled around (missing policy/profile/IP set, duplicate interface, ...). */
  readonly warnings: readonly string[];
}

/**
 * The tables felix-ts programs, in the order they appear for each family (filter first: tables[0] is the
 * IPv4 filter table). All four are always programmed, as Felix does in iptables mode.
 */
const TABLES: readonly TableCompiler[] = [
  compileFilterTable,
  compileRawTable,
  compileMangleTable,
  compileNatTable,
];

/** The desired state Felix would program for this input (see compileWithReport for warnings). */
export function compile(state: DataplaneState, cfg: CompilerConfig): DesiredState {
  return compileWithReport(state, cfg).desired;
}

const SET_TYPE: Readonly<Record<number, IpSetType>> = { 0: 'hash:ip', 1: 'hash:ip,port', 2: 'hash:net' };

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** The IP sets the calc graph sent, one per family, by kernel name. */
function desiredIpSets(state: DataplaneState, families: readonly IpFamily[]): Map<string, IpSetState> {
  const ipsets = new Map<string, IpSetState>();
  const sortedSets = [...state.exposeIpSets().entries()].sort(([a], [b]) => cmp(a, b));
  for (const fam of families) {
    for (const [id, entry] of sortedSets) {
      const name = ipSetName(id, fam);
      ipsets.set(name, {
        name,
        type: SET_TYPE[entry.type] as IpSetType,
        family: fam,
        // Shared, not copied: DataplaneState copies an exposed set before a delta changes it.
        members: fam === 4 ? entry.v4 : entry.v6,
      });
    }
  }
  return ipsets;
}

/**
 * The IP sets a compile starts from: the calc graph's, and the ones Felix always creates. Felix always
 * programs raw, mangle, nat and filter for each family in iptables mode and creates the pool sets
 * (masq_mgr.go newMasqManager) and the sets the mangle DSCP rule refers to (dscp_mgr.go,
 * hostip_mgr.go) at start (felix/dataplane/linux/int_dataplane.go setUpIptablesNormal). A set the calc
 * graph sent under the same name is kept. The overlay's host sets exist only where Felix creates them
 * (overlay-sets.ts). compile() adds, empty, any set a rule refers to that is not here. The driver
 * writes these while the tables compile (rules/driver/early-ipsets.ts).
 */
export function compileIpSets(state: DataplaneState, cfg: CompilerConfig): Map<string, IpSetState> {
  const families: IpFamily[] = cfg.ipv6Support ? [4, 6] : [4];
  const ipsets = desiredIpSets(state, families);
  for (const fam of families) {
    for (const s of poolIpSets(state, fam)) ipsets.set(s.name, s);
    for (const s of overlayIpSets(state, cfg, fam)) ipsets.set(s.name, s);
    for (const s of mangleIpSets(state, fam)) if (!ipsets.has(s.name)) ipsets.set(s.name, s);
    // The node's addresses, once the interface monitor has read them (hostip_mgr.go; issue 13 item 4).
    const thisHost = thisHostIpSets(state, cfg, fam);
    if (thisHost) ipsets.set(thisHost.name, thisHost);
  }
  return ipsets;
}

export function compileWithReport(state: DataplaneState, cfg: CompilerConfig): CompileReport {
  validateCompilerConfig(cfg);
  const marks = allocateMarks(cfg.iptablesMarkMask, cfg.wireguardEnabled || cfg.wireguardEnabledV6);
  if (!marks) throw new CompilerConfigError('iptablesMarkMask has too few bits');
  const families: IpFamily[] = cfg.ipv6Support ? [4, 6] : [4];
  // Referenced IP sets the calc graph has not sent are added (empty) by the table builders.
  const sink = { ipsets: compileIpSets(state, cfg), warnings: [] as string[] };
  // KubeIPVSSupportEnabled as resolved for this compile: the tables read it from their config.
  const kubeIPVSSupportEnabled = resolveKubeIPVS(cfg, state, marks, sink.warnings);
  const tcfg: CompilerConfig = { ...cfg, kubeIPVSSupportEnabled };
  const tables: TableState[] = [];
  state.hashCache.begin();
  const planned = tierPlanner(state);
  const cfgKey = JSON.stringify(tcfg);
  state.sharedChains.begin(cfgKey);
  for (const family of families) {
    const input: TableInput = { state, cfg: tcfg, marks, family, sink, planned, cfgKey };
    for (const table of TABLES) tables.push(table(input));
  }
  state.hashCache.sweep();
  state.sharedChains.sweep();
  const desired = { tables, ipsets: sink.ipsets, workloadInterfaces: workloadInterfaces(state, cfg) };
  // The filter and mangle tables can both refer to a missing profile or policy: say it once.
  return { desired, warnings: [...new Set(sink.warnings)] };
}
