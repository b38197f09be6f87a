// Validation of calc->dataplane messages before they enter DataplaneState. Anything that could make
// the restore input ambiguous is rejected here with a CompilerInputError (issue 5, item 4); names that
// are merely unusual are hashed or escaped later instead.
import type { IPSetType, PortRange, Protocol, Rule } from '../dataplane-api/types.js';
import { CompilerInputError } from './errors.js';
import { canonicalCidr, formatIp, parseCidr, parseIp } from './ipaddr.js';
import type { IpFamily } from '../model.js';

const ACTIONS = new Set(['', 'allow', 'deny', 'next-tier', 'pass', 'log']);
const PROTO_NAME = /^[A-Za-z][A-Za-z0-9-]{0,15}$/;

function checkProtocol(p: Protocol | null | undefined, field: string, problems: string[]): void {
  if (p === null || p === undefined) return;
  if (p.name !== undefined) {
    if (!PROTO_NAME.test(p.name))
      problems.push(`${field} name ${JSON.stringify(p.name)} is not a protocol name`);
  } else if (!Number.isInteger(p.number) || (p.number as number) < 0 || (p.number as number) > 255) {
    problems.push(`${field} number ${String(p.number)} is not 0..255`);
  }
}

function checkPorts(ports: readonly PortRange[] | undefined, field: string, problems: string[]): void {
  for (const r of ports ?? []) {
    const ok =
      Number.isInteger(r.first) &&
      Number.isInteger(r.last) &&
      r.first >= 0 &&
      r.last <= 65535 &&
      r.first <= r.last;
    if (!ok) problems.push(`${field} has a bad port range ${JSON.stringify(r)}`);
  }
}

function checkNets(nets: readonly string[] | undefined, field: string, problems: string[]): void {
  for (const n of nets ?? []) {
    if (!parseCidr(n)) problems.push(`${field} has a bad CIDR ${JSON.stringify(n)}`);
  }
}

function checkIcmp(n: number | undefined, field: string, problems: string[]): void {
  if (n === undefined || n === null) return;
  if (!Number.isInteger(n) || n < 0 || n > 255) problems.push(`${field} ${String(n)} is not 0..255`);
}

/** Problems with one rule (empty when the rule is fine). */
export function ruleProblems(r: Rule): string[] {
  const problems: string[] = [];
  if (!ACTIONS.has(r.action)) problems.push(`unknown action ${JSON.stringify(r.action)}`);
  if (r.ipVersion !== undefined && r.ipVersion !== 0 && r.ipVersion !== 4 && r.ipVersion !== 6) {
    problems.push(`bad ipVersion ${String(r.ipVersion)}`);
  }
  checkProtocol(r.protocol, 'protocol', problems);
  checkProtocol(r.notProtocol, 'notProtocol', problems);
  checkNets(r.srcNet, 'srcNet', problems);
  checkNets(r.dstNet, 'dstNet', problems);
  checkNets(r.notSrcNet, 'notSrcNet', problems);
  checkNets(r.notDstNet, 'notDstNet', problems);
  checkPorts(r.srcPorts, 'srcPorts', problems);
  checkPorts(r.dstPorts, 'dstPorts', problems);
  checkPorts(r.notSrcPorts, 'notSrcPorts', problems);
  checkPorts(r.notDstPorts, 'notDstPorts', problems);
  checkIcmp(r.icmpType, 'icmpType', problems);
  checkIcmp(r.notIcmpType, 'notIcmpType', problems);
  if (r.icmpTypeCode) {
    checkIcmp(r.icmpTypeCode.type, 'icmpTypeCode.type', problems);
    checkIcmp(r.icmpTypeCode.code, 'icmpTypeCode.code', problems);
  }
  if (r.notIcmpTypeCode) {
    checkIcmp(r.notIcmpTypeCode.type, 'notIcmpTypeCode.type', problems);
    checkIcmp(r.notIcmpTypeCode.code, 'notIcmpTypeCode.code', problems);
  }
  return problems;
}

export function checkRules(subject: string, inbound: readonly Rule[], outbound: readonly Rule[]): void {
  const problems: string[] = [];
  inbound.forEach((r, i) => ruleProblems(r).forEach((p) => problems.push(`inbound rule ${i}: ${p}`)));
  outbound.forEach((r, i) => ruleProblems(r).forEach((p) => problems.push(`outbound rule ${i}: ${p}`)));
  if (problems.length > 0) throw new CompilerInputError('ERR_BAD_RULE', subject, problems.join('; '));
}

export interface CanonicalMember {
  readonly family: IpFamily;
  readonly text: string;
}

const IP_PORT_PROTOS = new Set(['tcp', 'udp', 'sctp']);

/**
 * Canonical written form of one IP set member (felix/ipsets/ipsets.go): hash:net "10.65.0.7/32", hash:ip "10.65.0.7",
 * hash:ip,port "10.65.0.7,tcp:8080". Undefined when the member is malformed.
 */
export function canonicalMember(type: IPSetType, member: string): CanonicalMember | undefined {
  if (type === 2 /* NET */) {
    const c = parseCidr(member);
    return c ? { family: c.family, text: canonicalCidr(c) } : undefined;
  }
  if (type === 0 /* IP */) {
    const c = parseCidr(member);
    if (!c || c.prefix !== (c.family === 4 ? 32 : 128)) return undefined;
    return { family: c.family, text: formatIp(c.family, c.bytes) };
  }
  if (type === 1 /* IP_AND_PORT */) {
    const comma = member.lastIndexOf(',');
    if (comma < 0) return undefined;
    const ip = parseIp(member.slice(0, comma));
    const pp = member.slice(comma + 1);
    const colon = pp.indexOf(':');
    if (!ip || colon < 0) return undefined;
    const proto = pp.slice(0, colon).toLowerCase();
    const portText = pp.slice(colon + 1);
    if (!IP_PORT_PROTOS.has(proto) || !/^[0-9]{1,5}$/.test(portText) || Number(portText) > 65535)
      return undefined;
    return { family: ip.family, text: `${formatIp(ip.family, ip.bytes)},${proto}:${Number(portText)}` };
  }
  return undefined;
}
