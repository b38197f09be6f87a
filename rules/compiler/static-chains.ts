// The static filter-table chains and the kernel-chain hooks (felix/rules/static.go).
// IPVS and OpenStack extras are not supported.
import type { IpFamily } from '../model.js';
import type { CompilerConfig, FailsafePort } from './config.js';
import type { MarkBits } from './marks.js';
import { CHAIN, ipSetName } from './names.js';
import { parseCidr } from './ipaddr.js';
import { act, m, rule, type Action, type IChain, type IRule } from './rule.js';
import type { ServiceCidr } from './state.js';

export interface StaticCtx {
  readonly cfg: CompilerConfig;
  readonly family: IpFamily;
  readonly marks: MarkBits;
  readonly allowAction: Action;
  readonly denyAction: Action;
  /** "Drop" or "Reject", as Felix prints the deny action into comments. */
  readonly denyName: string;
}

const LOCAL_DST = '-m addrtype --dst-type LOCAL';
const LOCAL_SRC = '-m addrtype --src-type LOCAL';

/** cali-INPUT's auto-allow rules for overlay traffic from other nodes (felix/rules/static.go). */
function encapInputRules(c: StaticCtx): IRule[] {
  const { cfg, family } = c;
  const out: IRule[] = [];
  const vxlanPort = m.destPorts(String(cfg.vxlanPort));
  if (family === 4 && cfg.ipipEnabled) {
    const hosts = ipSetName('all-hosts-net', 4);
    out.push(
      rule(
        [m.protocol('4'), m.sourceIPSet(hosts), LOCAL_DST],
        c.allowAction,
        'Allow IPIP packets from Calico hosts',
      ),
    );
    out.push(rule([m.protocol('4')], c.denyAction, `${c.denyName} IPIP packets from non-Calico hosts`));
  }
  if (family === 4 && cfg.vxlanEnabled) {
    const nets = ipSetName('all-vxlan-net', 4);
    out.push(
      rule(
        [m.protocol('17'), vxlanPort, m.sourceIPSet(nets), LOCAL_DST],
        c.allowAction,
        'Allow IPv4 VXLAN packets from allowed hosts',
      ),
    );
    // static.go uses a plain DROP here, not the configured deny action.
    out.push(
      rule(
        [m.protocol('17'), vxlanPort, LOCAL_DST],
        act.drop(),
        'Drop IPv4 VXLAN packets from non-allowed hosts',
      ),
    );
  }
  if (family === 6 && cfg.vxlanEnabledV6) {
    const nets = ipSetName('all-vxlan-net', 6);
    out.push(
      rule(
        [m.protocol('17'), vxlanPort, m.sourceIPSet(nets), LOCAL_DST],
        c.allowAction,
        'Allow IPv6 VXLAN packets from allowed hosts',
      ),
    );
    out.push(
      rule(
        [m.protocol('17'), vxlanPort, LOCAL_DST],
        c.denyAction,
        `${c.denyName} IPv6 VXLAN packets from non-allowed hosts`,
      ),
    );
  }
  if (family === 4 && cfg.wireguardEnabled) {
    out.push(
      rule(
        [m.protocol('17'), m.destPorts(String(cfg.wireguardListeningPort)), LOCAL_DST],
        c.allowAction,
        'Allow incoming IPv4 Wireguard packets',
      ),
    );
  }
  if (family === 6 && cfg.wireguardEnabledV6) {
    out.push(
      rule(
        [m.protocol('17'), m.destPorts(String(cfg.wireguardListeningPortV6)), LOCAL_DST],
        c.allowAction,
        'Allow incoming IPv6 Wireguard packets',
      ),
    );
  }
  return out;
}

/** cali-OUTPUT's auto-allow rules for overlay traffic to other nodes (felix/rules/static.go). */
function encapOutputRules(c: StaticCtx): IRule[] {
  const { cfg, family } = c;
  const out: IRule[] = [];
  const vxlanPort = m.destPorts(String(cfg.vxlanPort));
  if (family === 4 && cfg.ipipEnabled) {
    const hosts = ipSetName('all-hosts-net', 4);
    out.push(
      rule(
        [m.protocol('4'), m.destIPSet(hosts), LOCAL_SRC],
        c.allowAction,
        'Allow IPIP packets to other Calico hosts',
      ),
    );
  }
  if (family === 4 && cfg.vxlanEnabled) {
    const nets = ipSetName('all-vxlan-net', 4);
    out.push(
      rule(
        [m.protocol('17'), vxlanPort, LOCAL_SRC, m.destIPSet(nets)],
        c.allowAction,
        'Allow IPv4 VXLAN packets to other allowed hosts',
      ),
    );
  }
  if (family === 6 && cfg.vxlanEnabledV6) {
    const nets = ipSetName('all-vxlan-net', 6);
    out.push(
      rule(
        [m.protocol('17'), vxlanPort, LOCAL_SRC, m.destIPSet(nets)],
        c.allowAction,
        'Allow IPv6 VXLAN packets to other allowed hosts',
      ),
    );
  }
  if (family === 4 && cfg.wireguardEnabled) {
    out.push(
      rule(
        [m.protocol('17'), m.destPorts(String(cfg.wireguardListeningPort)), LOCAL_SRC],
        c.allowAction,
        'Allow outgoing IPv4 Wireguard packets',
      ),
    );
  }
  if (family === 6 && cfg.wireguardEnabledV6) {
    out.push(
      rule(
        [m.protocol('17'), m.destPorts(String(cfg.wireguardListeningPortV6)), LOCAL_SRC],
        c.allowAction,
        'Allow outgoing IPv6 Wireguard packets',
      ),
    );
  }
  return out;
}

/** cali-FORWARD (felix/rules/static.go). */
export function filterForwardChain(c: StaticCtx): IChain {
  const { marks } = c;
  const rules: IRule[] = [
    // Clear every Calico bit except accept, which raw/pre-DNAT policy may have set.
    rule([], act.clearMark(marks.allCalico & ~marks.accept)),
    rule([m.markClear(marks.accept)], act.jump(CHAIN.fromHepForward)),
  ];
  for (const p of c.cfg.interfacePrefixes) {
    rules.push(rule([m.inInterface(p + '+')], act.jump(CHAIN.fromWlDispatch)));
    rules.push(rule([m.outInterface(p + '+')], act.jump(CHAIN.toWlDispatch)));
  }
  rules.push(rule([], act.jump(CHAIN.toHepForward)));
  rules.push(rule([], act.jump(CHAIN.cidrBlock)));
  return { name: CHAIN.filterForward, rules };
}

/** cali-INPUT (felix/rules/static.go). */
export function filterInputChain(c: StaticCtx): IChain {
  const { marks } = c;
  const rules: IRule[] = encapInputRules(c);
  for (const p of c.cfg.interfacePrefixes)
    rules.push(rule([m.inInterface(p + '+')], act.goto(CHAIN.wlToHost)));
  rules.push(rule([m.markSingleBitSet(marks.accept)], c.allowAction));
  rules.push(rule([], act.clearMark(marks.allCalico)));
  rules.push(rule([], act.jump(CHAIN.fromHostEndpoint)));
  rules.push(
    rule([m.markSingleBitSet(marks.accept)], c.allowAction, 'Host endpoint policy accepted packet.'),
  );
  return { name: CHAIN.filterInput, rules };
}

/** cali-OUTPUT (felix/rules/static.go). */
export function filterOutputChain(c: StaticCtx): IChain {
  const { marks } = c;
  const rules: IRule[] = [rule([m.markSingleBitSet(marks.accept)], c.allowAction)];
  // Host-to-workload traffic is not checked against workload ingress policy.
  for (const p of c.cfg.interfacePrefixes) rules.push(rule([m.outInterface(p + '+')], act.ret()));
  rules.push(...encapOutputRules(c));
  rules.push(rule([], act.clearMark(marks.allCalico)));
  rules.push(rule([m.notConntrackState('DNAT')], act.jump(CHAIN.toHostEndpoint)));
  rules.push(
    rule([m.markSingleBitSet(marks.accept)], c.allowAction, 'Host endpoint policy accepted packet.'),
  );
  return { name: CHAIN.filterOutput, rules };
}

/** cali-wl-to-host (felix/rules/static.go). */
export function wlToHostChain(c: StaticCtx): IChain {
  const rules: IRule[] = [];
  if (c.family === 6) {
    // Router/neighbour discovery must work before egress policy.
    for (const t of [130, 131, 132, 133, 135, 136])
      rules.push(rule([m.protocol('58'), m.icmp6Type(t)], c.allowAction));
  }
  rules.push(rule([], act.jump(CHAIN.fromWlDispatch)));
  const comment = 'Configured DefaultEndpointToHostAction';
  switch (c.cfg.defaultEndpointToHostAction) {
    case 'DROP':
      rules.push(rule([], act.drop(), comment));
      break;
    case 'RETURN':
      rules.push(rule([], act.ret(), comment));
      break;
    case 'ACCEPT':
      // A plain ACCEPT whatever IptablesFilterAllowAction is (felix/rules/rule_defs.go inputAcceptActions).
      rules.push(rule([], act.accept(), comment));
      break;
  }
  return { name: CHAIN.wlToHost, rules };
}

function failsafeRules(ports: readonly FailsafePort[], family: IpFamily, dir: 'in' | 'out'): IRule[] {
  const out: IRule[] = [];
  for (const fp of ports) {
    const match = [m.protocol(fp.protocol), m.destPorts(String(fp.port))];
    if (fp.net) {
      const c = parseCidr(fp.net);
      // A CIDR of the other family drops the rule from this table (static.go failsafeInChain).
      if (!c || c.family !== family) continue;
      match.push(dir === 'in' ? m.sourceNet(fp.net) : m.destNet(fp.net));
    }
    out.push(rule(match, act.accept()));
  }
  return out;
}

/** cali-failsafe-in / cali-failsafe-out for the filter table (felix/rules/static.go). */
export function failsafeChains(c: StaticCtx): IChain[] {
  return [
    { name: CHAIN.failsafeIn, rules: failsafeRules(c.cfg.failsafeInboundHostPorts, c.family, 'in') },
    { name: CHAIN.failsafeOut, rules: failsafeRules(c.cfg.failsafeOutboundHostPorts, c.family, 'out') },
  ];
}

/**
 * cali-cidr-block, the last jump of cali-FORWARD: service loop prevention (felix/rules/nat.go
 * BlockedCIDRsToIptablesChains, felix/dataplane/linux/service_loop_mgr.go). Forwarded traffic still
 * addressed to a service CIDR of the default BGPConfiguration was not DNATed by kube-proxy: drop or
 * reject it rather than send it back towards the BGP peer that routed it here. The CIDRs in string
 * order, this family's only; no rules with ServiceLoopPrevention=Disabled.
 */
export function cidrBlockChain(c: StaticCtx, cidrs: readonly ServiceCidr[]): IChain {
  const mode = c.cfg.serviceLoopPrevention;
  if (mode === 'Disabled') return { name: CHAIN.cidrBlock, rules: [] };
  const action = mode === 'Reject' ? act.reject() : act.drop();
  const mine = cidrs.filter((x) => x.family === c.family).map((x) => x.cidr);
  mine.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  return { name: CHAIN.cidrBlock, rules: mine.map((n) => rule([m.destNet(n)], action)) };
}

export interface Hooks {
  /** Kernel chain -> rules, hashed with the kernel chain name (felix/iptables/renderer.go). */
  readonly hooks: ReadonlyArray<readonly [string, IRule[]]>;
  /** Always-appended FORWARD rules, hashed with "FORWARD*appends*" (felix/rules/static.go). */
  readonly forwardAppends: IRule[];
}

export function filterHooks(c: StaticCtx): Hooks {
  return {
    hooks: [
      ['INPUT', [rule([], act.jump(CHAIN.filterInput))]],
      ['FORWARD', [rule([], act.jump(CHAIN.filterForward))]],
      ['OUTPUT', [rule([], act.jump(CHAIN.filterOutput))]],
    ],
    forwardAppends: [
      rule([m.markSingleBitSet(c.marks.accept)], c.allowAction, 'Policy explicitly accepted packet.'),
      // Tells mangle POSTROUTING that this packet was forwarded.
      rule([], act.setMark(c.marks.accept)),
    ],
  };
}
