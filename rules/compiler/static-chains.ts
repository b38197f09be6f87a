// The static filter-table chains and the kernel-chain hooks (felix-iptables-dataplane.md §4.1-§4.5,
// §4.10; felix/rules/static.go). IPIP, VXLAN, WireGuard, IPVS and OpenStack extras are not supported.
import type { IpFamily } from '../model.js';
import type { CompilerConfig, FailsafePort } from './config.js';
import type { MarkBits } from './marks.js';
import { CHAIN } from './names.js';
import { parseCidr } from './ipaddr.js';
import { act, m, rule, type Action, type IChain, type IRule } from './rule.js';

export interface StaticCtx {
  readonly cfg: CompilerConfig;
  readonly family: IpFamily;
  readonly marks: MarkBits;
  readonly allowAction: Action;
}

/** cali-FORWARD (§4.2). */
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

/** cali-INPUT (§4.3). */
export function filterInputChain(c: StaticCtx): IChain {
  const { marks } = c;
  const rules: IRule[] = [];
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

/** cali-OUTPUT (§4.5). */
export function filterOutputChain(c: StaticCtx): IChain {
  const { marks } = c;
  const rules: IRule[] = [rule([m.markSingleBitSet(marks.accept)], c.allowAction)];
  // Host-to-workload traffic is not checked against workload ingress policy.
  for (const p of c.cfg.interfacePrefixes) rules.push(rule([m.outInterface(p + '+')], act.ret()));
  rules.push(rule([], act.clearMark(marks.allCalico)));
  rules.push(rule([m.notConntrackState('DNAT')], act.jump(CHAIN.toHostEndpoint)));
  rules.push(
    rule([m.markSingleBitSet(marks.accept)], c.allowAction, 'Host endpoint policy accepted packet.'),
  );
  return { name: CHAIN.filterOutput, rules };
}

/** cali-wl-to-host (§4.4). */
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
      if (c.allowAction.isReturn) rules.push(rule([], act.setMark(c.marks.accept), comment));
      rules.push(rule([], c.allowAction, comment));
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

/** cali-failsafe-in / cali-failsafe-out for the filter table (§4.10). */
export function failsafeChains(c: StaticCtx): IChain[] {
  return [
    { name: CHAIN.failsafeIn, rules: failsafeRules(c.cfg.failsafeInboundHostPorts, c.family, 'in') },
    { name: CHAIN.failsafeOut, rules: failsafeRules(c.cfg.failsafeOutboundHostPorts, c.family, 'out') },
  ];
}

/** cali-cidr-block: service-loop prevention, empty because no service CIDRs are configured (§4.2). */
export function cidrBlockChain(): IChain {
  return { name: CHAIN.cidrBlock, rules: [] };
}

export interface Hooks {
  /** Kernel chain -> rules, hashed with the kernel chain name (§3.2). */
  readonly hooks: ReadonlyArray<readonly [string, IRule[]]>;
  /** Always-appended FORWARD rules, hashed with "FORWARD*appends*" (§4.1). */
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
