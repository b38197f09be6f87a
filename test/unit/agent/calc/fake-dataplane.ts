// A model dataplane for calculation tests: applies ToDataplane messages, checks the ordering
// contract of felix/calc/event_sequencer.go as it goes (sets exist before the policies that
// use them, policies before the endpoints that use them, nothing removed while referenced), and
// evaluates a packet against an endpoint with the semantics of felix/rules/policy.go.
import assert from 'node:assert/strict';
import {
  policyIdString,
  type Policy,
  type Profile,
  type Rule,
  type TierInfo,
  type ToDataplane,
} from '../../../../rules/dataplane-api/types.js';
import type { KVUpdate } from '../../../../syncer-client/api.js';

export function kv(key: string, value: unknown): KVUpdate {
  return {
    key,
    value: value === null ? null : typeof value === 'string' ? value : JSON.stringify(value),
    revision: '1',
    updateType: value === null ? 3 : 1,
  };
}

interface Ep {
  kind: 'workload' | 'host';
  name: string;
  profileIds: readonly string[];
  tiers: readonly TierInfo[];
  ipv4: readonly string[];
}

export interface Packet {
  src: string;
  dst?: string;
  proto?: string;
  dstPort?: number;
}

function ipOf(cidr: string): string {
  return cidr.split('/')[0] as string;
}

function ipInCidr(ip: string, cidr: string): boolean {
  const [net, lenS] = cidr.split('/') as [string, string];
  if (ip.includes(':') || net.includes(':')) return ip === net;
  const toN = (s: string): number => s.split('.').reduce((a, b) => a * 256 + Number(b), 0);
  const len = Number(lenS);
  const mask = len === 0 ? 0 : 2 ** 32 - 2 ** (32 - len);
  return (toN(ip) & mask) >>> 0 === (toN(net) & mask) >>> 0;
}

export class FakeDataplane {
  readonly ipsets = new Map<string, { type: number; members: Set<string> }>();
  readonly policies = new Map<string, Policy>();
  readonly profiles = new Map<string, Profile>();
  readonly endpoints = new Map<string, Ep>();
  inSync = false;
  config: Record<string, string> | undefined;
  readonly log: ToDataplane[] = [];

  private setsOf(r: Rule): string[] {
    return [
      ...(r.srcIpSetIds ?? []),
      ...(r.dstIpSetIds ?? []),
      ...(r.notSrcIpSetIds ?? []),
      ...(r.notDstIpSetIds ?? []),
      ...(r.srcNamedPortIpSetIds ?? []),
      ...(r.dstNamedPortIpSetIds ?? []),
      ...(r.notSrcNamedPortIpSetIds ?? []),
      ...(r.notDstNamedPortIpSetIds ?? []),
      ...(r.dstIpPortSetIds ?? []),
    ];
  }

  private rulesRefs(rules: readonly Rule[]): string[] {
    return rules.flatMap((r) => this.setsOf(r));
  }

  private setInUse(id: string): boolean {
    for (const p of [...this.policies.values(), ...this.profiles.values()]) {
      if (this.rulesRefs(p.inboundRules).includes(id) || this.rulesRefs(p.outboundRules).includes(id))
        return true;
    }
    return false;
  }

  private policyInUse(pk: string): boolean {
    for (const ep of this.endpoints.values()) {
      for (const t of ep.tiers) {
        if ([...t.ingressPolicies, ...t.egressPolicies].some((p) => policyIdString(p) === pk)) return true;
      }
    }
    return false;
  }

  apply(msgs: readonly ToDataplane[]): void {
    for (const m of msgs) {
      this.log.push(m);
      assert.ok(!(this.inSync && m.kind === 'inSync'), 'InSync sent twice');
      switch (m.kind) {
        case 'inSync':
          this.inSync = true;
          break;
        case 'configUpdate':
          assert.ok(this.inSync || msgs.some((x) => x.kind === 'inSync'), 'config before InSync');
          this.config = { ...m.config };
          break;
        case 'ipsetUpdate':
          this.ipsets.set(m.id, { type: m.type, members: new Set(m.members) });
          break;
        case 'ipsetDeltaUpdate': {
          const s = this.ipsets.get(m.id);
          assert.ok(s, `delta for unknown set ${m.id}`);
          for (const x of m.removedMembers)
            assert.ok(s.members.delete(x), `removing absent member ${x} from ${m.id}`);
          for (const x of m.addedMembers) {
            assert.ok(!s.members.has(x), `adding present member ${x} to ${m.id}`);
            s.members.add(x);
          }
          break;
        }
        case 'ipsetRemove':
          assert.ok(this.ipsets.has(m.id), `remove of unknown set ${m.id}`);
          assert.ok(!this.setInUse(m.id), `set ${m.id} removed while still referenced`);
          this.ipsets.delete(m.id);
          break;
        case 'activePolicyUpdate':
          for (const id of [
            ...this.rulesRefs(m.policy.inboundRules),
            ...this.rulesRefs(m.policy.outboundRules),
          ]) {
            assert.ok(this.ipsets.has(id), `policy ${policyIdString(m.id)} references unknown set ${id}`);
          }
          this.policies.set(policyIdString(m.id), m.policy);
          break;
        case 'activePolicyRemove': {
          const pk = policyIdString(m.id);
          assert.ok(this.policies.has(pk), `remove of unknown policy ${pk}`);
          assert.ok(!this.policyInUse(pk), `policy ${pk} removed while an endpoint uses it`);
          this.policies.delete(pk);
          break;
        }
        case 'activeProfileUpdate':
          for (const id of [
            ...this.rulesRefs(m.profile.inboundRules),
            ...this.rulesRefs(m.profile.outboundRules),
          ]) {
            assert.ok(this.ipsets.has(id), `profile references unknown set ${id}`);
          }
          this.profiles.set(m.id.name, m.profile);
          break;
        case 'activeProfileRemove':
          assert.ok(this.profiles.has(m.id.name), `remove of unknown profile ${m.id.name}`);
          for (const ep of this.endpoints.values())
            assert.ok(!ep.profileIds.includes(m.id.name), 'profile removed while in use');
          this.profiles.delete(m.id.name);
          break;
        case 'workloadEndpointUpdate':
        case 'hostEndpointUpdate': {
          assert.ok(this.inSync || msgs.some((x) => x.kind === 'inSync'), 'endpoint update before InSync');
          const tiers = m.endpoint.tiers;
          for (const t of [
            ...tiers,
            ...(m.kind === 'hostEndpointUpdate'
              ? [...m.endpoint.untrackedTiers, ...m.endpoint.preDnatTiers, ...m.endpoint.forwardTiers]
              : []),
          ]) {
            for (const p of [...t.ingressPolicies, ...t.egressPolicies]) {
              assert.ok(
                this.policies.has(policyIdString(p)),
                `endpoint references unknown policy ${policyIdString(p)}`,
              );
            }
          }
          for (const p of m.endpoint.profileIds)
            assert.ok(this.profiles.has(p), `endpoint references unknown profile ${p}`);
          const key =
            m.kind === 'workloadEndpointUpdate'
              ? `${m.id.workloadId}/${m.id.endpointId}`
              : `host:${m.id.endpointId}`;
          this.endpoints.set(key, {
            kind: m.kind === 'workloadEndpointUpdate' ? 'workload' : 'host',
            name: m.endpoint.name,
            profileIds: m.endpoint.profileIds,
            tiers,
            ipv4: m.kind === 'workloadEndpointUpdate' ? m.endpoint.ipv4Nets : m.endpoint.expectedIpv4Addrs,
          });
          break;
        }
        case 'workloadEndpointRemove':
          assert.ok(this.endpoints.delete(`${m.id.workloadId}/${m.id.endpointId}`), 'remove of unknown WEP');
          break;
        case 'hostEndpointRemove':
          assert.ok(this.endpoints.delete(`host:${m.id.endpointId}`), 'remove of unknown HEP');
          break;
      }
    }
  }

  private inSet(id: string, ip: string, port?: number, proto?: string): boolean {
    const s = this.ipsets.get(id);
    assert.ok(s, `rule references missing set ${id}`);
    for (const m of s.members) {
      if (m.includes(',')) {
        const [mip, pp] = m.split(',') as [string, string];
        if (mip === ip && pp === `${proto ?? 'tcp'}:${port}`) return true;
      } else if (ipInCidr(ip, m)) return true;
    }
    return false;
  }

  private ruleMatches(r: Rule, pkt: Packet, dstIp: string): boolean {
    if (
      r.protocol &&
      'name' in r.protocol &&
      r.protocol.name !== undefined &&
      r.protocol.name !== (pkt.proto ?? 'tcp')
    )
      return false;
    if (r.srcNet && r.srcNet.length > 0 && !r.srcNet.some((n) => ipInCidr(pkt.src, n))) return false;
    if (r.notSrcNet && r.notSrcNet.some((n) => ipInCidr(pkt.src, n))) return false;
    if (r.dstNet && r.dstNet.length > 0 && !r.dstNet.some((n) => ipInCidr(dstIp, n))) return false;
    if (r.notDstNet && r.notDstNet.some((n) => ipInCidr(dstIp, n))) return false;
    for (const id of r.srcIpSetIds ?? []) if (!this.inSet(id, pkt.src)) return false;
    for (const id of r.dstIpSetIds ?? []) if (!this.inSet(id, dstIp)) return false;
    for (const id of r.notDstIpSetIds ?? []) if (this.inSet(id, dstIp)) return false;
    for (const id of r.notSrcIpSetIds ?? []) if (this.inSet(id, pkt.src)) return false;
    for (const id of r.dstIpPortSetIds ?? [])
      if (!this.inSet(id, dstIp, pkt.dstPort, pkt.proto)) return false;
    const ranges = r.dstPorts ?? [];
    const named = r.dstNamedPortIpSetIds ?? [];
    if (ranges.length > 0 || named.length > 0) {
      const p = pkt.dstPort ?? -1;
      const ok =
        ranges.some((x) => p >= x.first && p <= x.last) ||
        named.some((id) => this.inSet(id, dstIp, p, pkt.proto));
      if (!ok) return false;
    }
    return true;
  }

  /** Verdict for traffic into (ingress) or out of (egress) a workload, per felix/rules/policy.go. */
  verdict(epKey: string, dir: 'ingress' | 'egress', pkt: Packet): 'allow' | 'deny' {
    const ep = this.endpoints.get(epKey);
    assert.ok(ep, `no endpoint ${epKey}`);
    const dstIp = pkt.dst ?? ipOf(ep.ipv4[0] ?? '0.0.0.0/32');
    for (const t of ep.tiers) {
      const pols = dir === 'ingress' ? t.ingressPolicies : t.egressPolicies;
      if (pols.length === 0) continue;
      let passed = false;
      for (const pid of pols) {
        const pol = this.policies.get(policyIdString(pid)) as Policy;
        const rules = dir === 'ingress' ? pol.inboundRules : pol.outboundRules;
        let done = false;
        for (const r of rules) {
          if (!this.ruleMatches(r, pkt, dstIp)) continue;
          if (r.action === 'allow') return 'allow';
          if (r.action === 'deny') return 'deny';
          if (r.action === 'next-tier' || r.action === 'pass') {
            passed = true;
            done = true;
            break;
          }
        }
        if (done) break;
      }
      if (!passed && t.defaultAction !== 'Pass') return 'deny';
    }
    for (const pid of ep.profileIds) {
      const prof = this.profiles.get(pid) as Profile;
      const rules = dir === 'ingress' ? prof.inboundRules : prof.outboundRules;
      for (const r of rules) {
        if (!this.ruleMatches(r, pkt, dstIp)) continue;
        if (r.action === 'allow') return 'allow';
        if (r.action === 'deny') return 'deny';
      }
    }
    return 'deny';
  }

  /** Everything the dataplane holds, for "deleting everything" checks. */
  isEmpty(): boolean {
    return (
      this.ipsets.size === 0 &&
      this.policies.size === 0 &&
      this.profiles.size === 0 &&
      this.endpoints.size === 0
    );
  }
}
