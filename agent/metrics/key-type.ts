// The `type` label of felix_calc_graph_updates_processed: Felix labels each update with the Go
// type name of its key (felix/calc/async_calc_graph.go: reflect.TypeOf(upd.Key).Name()), e.g.
// "WorkloadEndpointKey". Keys are parsed by the one key parser, agent/model's parseKey.
import { parseKey, type Key, type KeyType } from '../model/index.js';

/** Go type names in libcalico-go/lib/backend/model. */
const GO_KEY_TYPE: Readonly<Record<KeyType, string>> = {
  ready: 'ReadyFlagKey',
  globalConfig: 'GlobalConfigKey',
  hostConfig: 'HostConfigKey',
  tier: 'TierKey',
  policy: 'PolicyKey',
  profileRules: 'ProfileRulesKey',
  profileLabels: 'ProfileLabelsKey',
  workloadEndpoint: 'WorkloadEndpointKey',
  hostEndpoint: 'HostEndpointKey',
  networkSet: 'NetworkSetKey',
  ipPool: 'IPPoolKey',
  wireguard: 'WireguardKey',
  hostIp: 'HostIPKey',
  block: 'BlockKey',
  resource: 'ResourceKey',
};

/** "/calico/v1/policy/tier/default/policy/p1" -> "PolicyKey"; a key Felix does not parse -> "unknown". */
export function keyTypeLabel(path: string): string {
  return keyTypeLabelOf(parseKey(path));
}

/** keyTypeLabel of a key already parsed. */
export function keyTypeLabelOf(k: Key | null): string {
  return k === null ? 'unknown' : GO_KEY_TYPE[k.type];
}
