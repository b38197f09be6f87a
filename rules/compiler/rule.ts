// The compiler's rule IR: a rule is data (comments, match fragments, action, source) and one renderer,
// renderBody, turns it into Felix's long-form body text (felix/generictables/rules.go,
// felix/iptables/match_builder.go). Every fragment builder here produces exactly Felix's text, because
// that text is hashed. IP-set matches stay data (SetMatch) so nothing has to parse the text back.
import type { ChainSource, RuleSource, SetMatch } from '../model.js';
import { escapeComment } from './names.js';
import { hex } from './marks.js';

/** A match fragment: literal long-form text, or an IP-set match kept as data. */
export type Match = string | SetMatch;

export interface Action {
  /** Long-form action text, e.g. "--jump ACCEPT". */
  readonly frag: string;
  /** Chain this action jumps or goes to (for reference tracking, felix/iptables/table.go). */
  readonly target?: string;
  /** A RETURN action (trailing RETURNs are trimmed from policy chains, felix/rules/policy.go). */
  readonly isReturn?: boolean;
}

export interface IRule {
  /** Match fragments in the order they were added (the order is hashed). */
  readonly match: readonly Match[];
  readonly action?: Action;
  /** Extra comments, rendered before the match, escaped at render time. */
  readonly comments: readonly string[];
  /** The Calico rule this was generated from (policy and profile chains). */
  readonly source?: RuleSource;
}

export interface IChain {
  readonly name: string;
  readonly rules: readonly IRule[];
  /** The chain's comment when it is not simply the first rule's first comment (policy/profile chains). */
  readonly comment?: string;
  readonly source?: ChainSource;
}

export function rule(match: readonly Match[], action?: Action, ...comments: string[]): IRule {
  return action ? { match, action, comments } : { match, comments };
}

/** `-m set [!] --match-set <name> src|dst[,src|,dst]`. */
export function setMatchText(s: SetMatch): string {
  const dirs = s.withPort ? `${s.dir},${s.dir}` : s.dir;
  return s.negated ? `-m set ! --match-set ${s.name} ${dirs}` : `-m set --match-set ${s.name} ${dirs}`;
}

/** Felix's body text: comments, then the match, then the action, separated by single spaces. */
export function renderBody(r: IRule): string {
  const parts: string[] = [];
  for (const c of r.comments) parts.push(`-m comment --comment "${escapeComment(c)}"`);
  for (const m of r.match) parts.push(typeof m === 'string' ? m : setMatchText(m));
  if (r.action) parts.push(r.action.frag);
  return parts.join(' ');
}

/** The IP sets a rule matches on, in match order (undefined when none, the common case). */
export function setMatches(r: IRule): SetMatch[] | undefined {
  let sets: SetMatch[] | undefined;
  for (const m of r.match) if (typeof m !== 'string') (sets ??= []).push(m);
  return sets;
}

function setMatch(name: string, dir: 'src' | 'dst', withPort: boolean, negated: boolean): SetMatch {
  return { name, dir, withPort, negated };
}

// ---- Actions (felix/iptables/actions.go) ----
export const act = {
  accept: (): Action => ({ frag: '--jump ACCEPT' }),
  drop: (): Action => ({ frag: '--jump DROP' }),
  reject: (): Action => ({ frag: '--jump REJECT' }),
  ret: (): Action => ({ frag: '--jump RETURN', isReturn: true }),
  /** NoTrackAction: the raw table's untracked allow. */
  noTrack: (): Action => ({ frag: '--jump NOTRACK' }),
  jump: (chain: string): Action => ({ frag: `--jump ${chain}`, target: chain }),
  goto: (chain: string): Action => ({ frag: `--goto ${chain}`, target: chain }),
  /** SetMark: value and mask are the same bits. */
  setMark: (m: number): Action => ({ frag: `--jump MARK --set-mark ${hex(m)}/${hex(m)}` }),
  /** ClearMark writes a literal "0/" (felix/rules/policy.go). */
  clearMark: (m: number): Action => ({ frag: `--jump MARK --set-mark 0/${hex(m)}` }),
  /** SetMaskedMark formats the value with %#x, so zero is "0x0" (felix/rules/policy.go). */
  setMaskedMark: (m: number, mask: number): Action => ({
    frag: `--jump MARK --set-mark ${hex(m)}/${hex(mask)}`,
  }),
  log: (prefix: string): Action => ({ frag: `--jump LOG --log-prefix "${prefix}: " --log-level 5` }),
  /** LimitPacketRateAction: sets the mark on packets within the rate (felix/iptables/actions.go). */
  limitPacketRate: (rate: number, burst: number, mark: number): Action => ({
    frag: `-m limit --limit ${rate}/sec --limit-burst ${burst} --jump MARK --set-mark ${hex(mark)}/${hex(mark)}`,
  }),
  /**
   * LimitNumConnectionsAction with RejectWithTCPReset: the action text carries its own match (a new TCP
   * connection above the limit), in the long form iptables-save prints (felix/iptables/actions.go).
   */
  limitNumConnections: (n: number): Action => ({
    frag:
      '-p tcp -m tcp --tcp-flags FIN,SYN,RST,ACK SYN -m connlimit ' +
      `--connlimit-above ${n} --connlimit-mask 0 -j REJECT --reject-with tcp-reset`,
  }),
};

// ---- Match fragments (felix/iptables/match_builder.go) ----
export const m = {
  markClear: (mark: number): string => `-m mark --mark 0/${hex(mark)}`,
  markNotClear: (mark: number): string => `-m mark ! --mark 0/${hex(mark)}`,
  markSingleBitSet: (mark: number): string => `-m mark --mark ${hex(mark)}/${hex(mark)}`,
  notMarkMatchesWithMask: (mark: number, mask: number): string =>
    `-m mark ! --mark ${hex(mark)}/${hex(mask)}`,
  inInterface: (name: string): string => `--in-interface ${name}`,
  outInterface: (name: string): string => `--out-interface ${name}`,
  conntrackState: (s: string): string => `-m conntrack --ctstate ${s}`,
  notConntrackState: (s: string): string => `-m conntrack ! --ctstate ${s}`,
  protocol: (p: string): string => `-p ${p}`,
  notProtocol: (p: string): string => `! -p ${p}`,
  sourceNet: (n: string): string => `--source ${n}`,
  notSourceNet: (n: string): string => `! --source ${n}`,
  destNet: (n: string): string => `--destination ${n}`,
  notDestNet: (n: string): string => `! --destination ${n}`,
  sourceIPSet: (s: string): SetMatch => setMatch(s, 'src', false, false),
  notSourceIPSet: (s: string): SetMatch => setMatch(s, 'src', false, true),
  sourceIPPortSet: (s: string): SetMatch => setMatch(s, 'src', true, false),
  notSourceIPPortSet: (s: string): SetMatch => setMatch(s, 'src', true, true),
  destIPSet: (s: string): SetMatch => setMatch(s, 'dst', false, false),
  notDestIPSet: (s: string): SetMatch => setMatch(s, 'dst', false, true),
  destIPPortSet: (s: string): SetMatch => setMatch(s, 'dst', true, false),
  notDestIPPortSet: (s: string): SetMatch => setMatch(s, 'dst', true, true),
  sourcePorts: (p: string): string => `-m multiport --source-ports ${p}`,
  notSourcePorts: (p: string): string => `-m multiport ! --source-ports ${p}`,
  destPorts: (p: string): string => `-m multiport --destination-ports ${p}`,
  notDestPorts: (p: string): string => `-m multiport ! --destination-ports ${p}`,
  icmpType: (t: number): string => `-m icmp --icmp-type ${t}`,
  notIcmpType: (t: number): string => `-m icmp ! --icmp-type ${t}`,
  icmpTypeCode: (t: number, c: number): string => `-m icmp --icmp-type ${t}/${c}`,
  notIcmpTypeCode: (t: number, c: number): string => `-m icmp ! --icmp-type ${t}/${c}`,
  icmp6Type: (t: number): string => `-m icmp6 --icmpv6-type ${t}`,
  notIcmp6Type: (t: number): string => `-m icmp6 ! --icmpv6-type ${t}`,
  icmp6TypeCode: (t: number, c: number): string => `-m icmp6 --icmpv6-type ${t}/${c}`,
  notIcmp6TypeCode: (t: number, c: number): string => `-m icmp6 ! --icmpv6-type ${t}/${c}`,
};

export interface PortRange {
  readonly first: number;
  readonly last: number;
}

/** PortRangesToMultiport: "80", "1000:2000", joined by ",". */
export function portList(ports: readonly PortRange[]): string {
  return ports.map((p) => (p.first === p.last ? `${p.first}` : `${p.first}:${p.last}`)).join(',');
}

/** SplitPortList (felix/rules/policy.go): 15 multiport slots per split; a single port takes 1 slot, a range 2. */
export function splitPortList(ports: readonly PortRange[]): PortRange[][] {
  const splits: PortRange[][] = [];
  let cur: PortRange[] = [];
  let free = 15;
  for (const p of ports) {
    const need = p.first === p.last ? 1 : 2;
    if (free < need) {
      splits.push(cur);
      cur = [];
      free = 15;
    }
    cur.push(p);
    free -= need;
  }
  if (cur.length > 0) splits.push(cur);
  return splits;
}
