// kube-proxy IPVS support in the filter and mangle tables (felix/rules/static.go, dispatch.go,
// endpoints.go with KubeIPVSSupportEnabled). IPVS-forwarded packets traverse INPUT and OUTPUT instead
// of FORWARD, so cali-INPUT sends them through cali-forward-check, which stamps the incoming endpoint's
// mark (cali-set-endpoint-mark -> cali-sm-<iface>), and cali-OUTPUT sends marked packets to
// cali-forward-endpoint-mark, which applies the source endpoint's egress policy by mark
// (cali-from-endpoint-mark) and the destination workload's ingress policy by interface.
import type { IpFamily, IpSetState } from '../model.js';
import { kubeIPVSPresent, thisHostMembers } from './host-ifaces.js';
import { EndpointMarkMapper } from './epmark.js';
import { safeChainName } from './hash.js';
import { hex, type MarkBits } from './marks.js';
import { CHAIN, PREFIX, ipSetName } from './names.js';
import { prefixTree } from './dispatch.js';
import {
  act,
  m,
  portList,
  rule,
  splitPortList,
  type Action,
  type IChain,
  type IRule,
  type PortRange,
} from './rule.js';
import type { DataplaneState } from './state.js';
import { hostEndpointsByIface } from './host-endpoints.js';
import type { TableBuilder, TableInput } from './table.js';

export const IPVS_CHAIN = {
  forwardCheck: 'cali-forward-check',
  forwardEndpointMark: 'cali-forward-endpoint-mark',
  setEndpointMark: 'cali-set-endpoint-mark',
  fromEndpointMark: 'cali-from-endpoint-mark',
} as const;

/** SetEndPointMarkPfx (felix/rules/rule_defs.go). */
export const SET_MARK_PREFIX = 'cali-sm-';

/** IPSetIDThisHostIPs (felix/rules/rule_defs.go). */
export const THIS_HOST_SET_ID = 'this-host';

export interface IpvsMarks {
  /** MarkEndpoint: every mark bit left after the five (six) single bits (felix/dataplane/driver.go). */
  readonly endpoint: number;
  /** MarkNonCaliEndpoint: the lowest endpoint bit (position 1). */
  readonly nonCali: number;
}

/** The endpoint marks, or undefined when the mask left no endpoint bits (Felix panics there). */
export function ipvsMarks(marks: MarkBits): IpvsMarks | undefined {
  const endpoint = marks.endpoint >>> 0;
  if (endpoint === 0) return undefined;
  return { endpoint, nonCali: (endpoint & -endpoint) >>> 0 };
}

// MarkMatchesWithMask / NotMarkMatchesWithMask (felix/iptables/match_builder.go).
const markMatches = (mark: number, mask: number): string => `-m mark --mark ${hex(mark)}/${hex(mask)}`;
const notMarkMatches = (mark: number, mask: number): string => `-m mark ! --mark ${hex(mark)}/${hex(mask)}`;

/** cali-INPUT's rules after the encapsulation allows (filterInputChain with KubeIPVSSupportEnabled). */
export function ipvsInputRules(im: IpvsMarks): IRule[] {
  return [
    rule([], act.clearMark(im.endpoint)),
    rule([], act.jump(IPVS_CHAIN.forwardCheck)),
    rule([m.markNotClear(im.endpoint)], act.ret()),
  ];
}

/** cali-OUTPUT's rule after the accept-bit allow (filterOutputChain): a goto, so RETURN skips the rest. */
export function ipvsOutputRules(im: IpvsMarks): IRule[] {
  return [rule([m.markNotClear(im.endpoint)], act.goto(IPVS_CHAIN.forwardEndpointMark))];
}

/** mangle cali-POSTROUTING's rule after the accept-bit RETURN (StaticManglePostroutingChain). */
export function ipvsManglePostroutingRules(im: IpvsMarks): IRule[] {
  return [rule([m.markNotClear(im.endpoint)], act.ret())];
}

/** StaticFilterInputForwardCheckChain. */
export function forwardCheckChain(family: IpFamily, nodePorts: readonly PortRange[]): IChain {
  const hostSet = ipSetName(THIS_HOST_SET_ID, family);
  const rules: IRule[] = [rule([m.conntrackState('RELATED,ESTABLISHED')], act.ret())];
  for (const split of splitPortList(nodePorts)) {
    for (const proto of ['tcp', 'udp']) {
      rules.push(
        rule(
          [m.protocol(proto), m.destPorts(portList(split)), m.destIPSet(hostSet)],
          act.goto(IPVS_CHAIN.setEndpointMark),
          'To kubernetes NodePort service',
        ),
      );
    }
  }
  rules.push(rule([m.notDestIPSet(hostSet)], act.jump(IPVS_CHAIN.setEndpointMark), 'To kubernetes service'));
  return { name: IPVS_CHAIN.forwardCheck, rules };
}

/** StaticFilterOutputForwardEndpointMarkChain. */
export function forwardEndpointMarkChain(
  im: IpvsMarks,
  marks: MarkBits,
  prefixes: readonly string[],
  allowAction: Action,
): IChain {
  const rules: IRule[] = [
    rule([notMarkMatches(im.nonCali, im.endpoint)], act.jump(IPVS_CHAIN.fromEndpointMark)),
  ];
  for (const p of prefixes) rules.push(rule([m.outInterface(p + '+')], act.jump(CHAIN.toWlDispatch)));
  rules.push(rule([], act.jump(CHAIN.toHepForward)));
  // The packet may be encapsulated and pass through iptables again: it must not look forwarded then.
  rules.push(rule([], act.clearMark(im.endpoint)));
  rules.push(rule([m.markSingleBitSet(marks.accept)], allowAction, 'Policy explicitly accepted packet.'));
  return { name: IPVS_CHAIN.forwardEndpointMark, rules };
}

const mappers = new WeakMap<DataplaneState, EndpointMarkMapper>();

/**
 * The state's endpoint mark mapper (one for both families), with the marks of endpoints that are gone
 * released and new ones allocated in name order, so that a compile is repeatable.
 */
export function endpointMarks(
  state: DataplaneState,
  im: IpvsMarks,
  names: readonly string[],
): EndpointMarkMapper {
  let mapper = mappers.get(state);
  if (!mapper || mapper.mask !== im.endpoint) {
    mapper = new EndpointMarkMapper(im.endpoint, im.nonCali);
    mappers.set(state, mapper);
  }
  const want = new Set(names);
  for (const n of mapper.names()) if (!want.has(n)) mapper.release(n);
  for (const n of [...want].sort()) mapper.get(n);
  return mapper;
}

/** endpointSetMarkChain: cali-sm-<iface> sets the interface's mark (empty when none was left). */
export function setMarkChain(iface: string, mapper: EndpointMarkMapper): IChain {
  const mark = mapper.get(iface);
  const rules = mark === undefined ? [] : [rule([], act.setMaskedMark(mark, mapper.mask))];
  return { name: safeChainName(SET_MARK_PREFIX, iface), rules };
}

export interface MarkDispatchInput {
  readonly workloads: readonly string[];
  readonly hostEndpoints: readonly string[];
  readonly prefixes: readonly string[];
  readonly denyAction: Action;
}

/** endpointMarkDispatchChains: the set-mark children, cali-set-endpoint-mark and cali-from-endpoint-mark. */
export function endpointMarkDispatchChains(
  d: MarkDispatchInput,
  mapper: EndpointMarkMapper,
  im: IpvsMarks,
): IChain[] {
  const chains: IChain[] = [];
  const setRoot: IRule[] = [];
  for (const [names, infix] of [
    [d.workloads, '-wep'],
    [d.hostEndpoints, '-hep'],
  ] as const) {
    if (names.length === 0) continue;
    const { common, bins } = prefixTree(names);
    for (const [prefix, ifaces] of bins) {
      const gotoSm = (i: string): IRule =>
        rule([m.inInterface(i)], act.goto(safeChainName(SET_MARK_PREFIX, i)));
      if (ifaces.length > 1) {
        // Child chains get no end rules here (nil endRules in dispatch.go).
        const child = `${IPVS_CHAIN.setEndpointMark}${infix}-${prefix.slice(common.length)}`;
        setRoot.push(rule([m.inInterface(prefix + '+')], act.goto(child)));
        chains.push({ name: child, rules: ifaces.map(gotoSm) });
      } else {
        setRoot.push(gotoSm(ifaces[0] as string));
      }
    }
  }
  for (const p of d.prefixes) setRoot.push(rule([m.inInterface(p + '+')], d.denyAction, 'Unknown endpoint'));
  setRoot.push(rule([], act.setMaskedMark(im.nonCali, im.endpoint), 'Non-Cali endpoint mark'));

  const fromRoot: IRule[] = [];
  for (const [names, pfx] of [
    [d.workloads, PREFIX.wlFrom],
    [d.hostEndpoints, PREFIX.hostFromForward],
  ] as const) {
    for (const name of [...new Set(names)].sort()) {
      const mark = mapper.get(name);
      if (mark === undefined) continue;
      fromRoot.push(rule([markMatches(mark, im.endpoint)], act.goto(safeChainName(pfx, name))));
    }
  }
  fromRoot.push(rule([], d.denyAction, 'Unknown interface'));
  chains.push({ name: IPVS_CHAIN.setEndpointMark, rules: setRoot });
  chains.push({ name: IPVS_CHAIN.fromEndpointMark, rules: fromRoot });
  return chains;
}

/**
 * KubeIPVSSupportEnabled for this compile: the config's value when set, else whether kube-ipvs0 exists
 * (felix/dataplane/driver.go). Felix restarts when the device appears or goes
 * (int_dataplane.go checkIPVSConfigOnStateUpdate); felix-ts recompiles instead, with the same result.
 * Without endpoint mark bits IPVS support stays off with a warning (Felix panics).
 */
export function resolveKubeIPVS(
  cfg: { readonly kubeIPVSSupportEnabled?: boolean },
  state: DataplaneState,
  marks: MarkBits,
  warnings: string[],
): boolean {
  const want = cfg.kubeIPVSSupportEnabled ?? kubeIPVSPresent(state.hostInterfaces);
  if (want && !ipvsMarks(marks)) {
    warnings.push(
      'kube-proxy IPVS mode detected but IptablesMarkMask leaves no endpoint mark bits; IPVS support is off',
    );
    return false;
  }
  return want;
}

/** The this-host sets from the interface monitor's reading (undefined before the first one). */
export function thisHostIpSets(
  state: DataplaneState,
  cfg: { readonly interfacePrefixes: readonly string[]; readonly interfaceExclude: readonly string[] },
  family: IpFamily,
): IpSetState | undefined {
  if (!state.hostInterfaces) return undefined;
  const members = thisHostMembers(state.hostInterfaces, cfg.interfacePrefixes, cfg.interfaceExclude);
  const name = ipSetName(THIS_HOST_SET_ID, family);
  return { name, type: 'hash:ip', family, members: new Set(family === 4 ? members.v4 : members.v6) };
}

/** The filter table's IPVS chains (a no-op unless IPVS support is on for this compile). */
export function addIpvsFilterChains(
  input: TableInput,
  b: TableBuilder,
  workloads: readonly string[],
  allowAction: Action,
  denyAction: Action,
): void {
  const { cfg, marks, state, family } = input;
  const im = cfg.kubeIPVSSupportEnabled === true ? ipvsMarks(marks) : undefined;
  if (!im) return;
  const heps = [...hostEndpointsByIface(state).keys()].filter((i) => i !== '*');
  const mapper = endpointMarks(state, im, [...workloads, ...heps]);
  b.add(forwardCheckChain(family, cfg.kubeNodePortRanges));
  b.add(forwardEndpointMarkChain(im, marks, cfg.interfacePrefixes, allowAction));
  const d = { workloads, hostEndpoints: heps, prefixes: cfg.interfacePrefixes, denyAction };
  for (const c of endpointMarkDispatchChains(d, mapper, im)) b.add(c);
  for (const iface of [...workloads, ...heps]) b.add(setMarkChain(iface, mapper));
}
