// TableBuilder: collects the candidate chains and the kernel-chain hooks of one (table, family), hashes
// every rule, and builds the TableState with only the chains reachable from the hooks (Felix programs
// only referenced chains: felix/iptables/table.go). Each table module (filter-table.ts, and later
// raw/mangle/nat) fills one builder; nothing here knows a table's contents.
import type {
  Chain,
  IpFamily,
  IpSetState,
  RenderedRule,
  RuleSource,
  SetMatch,
  TableName,
  TableState,
} from '../model.js';
import type { CompilerConfig } from './config.js';
import type { MarkBits } from './marks.js';
import type { TierPlanner } from './tier-planner.js';
import { RULE_HASH_LENGTH, ruleDigests, ruleHashes, type ChainDigests } from './hash.js';
import { escapeComment } from './names.js';
import { entryLayer, type EntryLayer } from './entry-layer.js';
import { renderBody, setMatches, type IChain, type IRule } from './rule.js';
import type { DataplaneState } from './state.js';

/** A compiled chain plus the chains its rules jump or go to. */
interface Prepared {
  readonly chain: Chain;
  readonly targets: readonly string[];
  /** Every IP set its rules match, gathered once: build() visits these, not every rule, per compile. */
  readonly sets: readonly SetMatch[];
  /** Shared chains: the full digests, so the next version of the chain re-hashes only what changed. */
  readonly digests?: ChainDigests;
}

type HashFn = (chainName: string, bodies: readonly string[]) => readonly string[];

function renderedRule(hash: string, body: string, sets?: SetMatch[], source?: RuleSource): RenderedRule {
  if (sets && source) return { hash, body, sets, source };
  if (sets) return { hash, body, sets };
  if (source) return { hash, body, source };
  return { hash, body };
}

/** The other family's prepared chain is this one: same bodies, rule sources and chain comment. */
function isTwin(twin: Prepared, c: IChain, bodies: readonly string[]): boolean {
  const rules = twin.chain.rules;
  const a = twin.chain.source;
  const b = c.source;
  const sameSource =
    a === b ||
    (a !== undefined &&
      b !== undefined &&
      a.kind === b.kind &&
      a.id === b.id &&
      a.direction === b.direction &&
      a.rules === b.rules);
  if (rules.length !== bodies.length || !sameSource) return false;
  for (let i = 0; i < bodies.length; i++) {
    const r = rules[i]!;
    const s = c.rules[i]!.source;
    if (r.body !== bodies[i] || r.source?.index !== s?.index || r.source?.direction !== s?.direction)
      return false;
  }
  return twin.chain.comment === chainComment(c);
}

/** The chain's comment: its own, else its first rule's first comment (escaped). */
function chainComment(c: IChain): string {
  const comment = c.comment ?? c.rules[0]?.comments[0];
  return comment === undefined ? '' : escapeComment(comment);
}

/** Renders and hashes a chain; the IP sets and the source of each rule stay data on the result. */
function prepareChain(
  c: IChain,
  hashFn: HashFn,
  bodies: readonly string[] = c.rules.map(renderBody),
): Prepared {
  return assemble(c, bodies, hashFn(c.name, bodies));
}

/**
 * prepareChain for a shared chain: keeps the full digests, so that its next version (`prev`, the
 * same chain's last preparation) re-hashes only from the first rule that changed.
 */
function prepareShared(c: IChain, prev: Prepared | undefined): Prepared {
  const bodies = c.rules.map(renderBody);
  const digests = ruleDigests(c.name, bodies, prev?.chain.name === c.name ? prev.digests : undefined);
  return assemble(
    c,
    bodies,
    digests.digests.map((d) => d.slice(0, RULE_HASH_LENGTH)),
    digests,
  );
}

function assemble(
  c: IChain,
  bodies: readonly string[],
  hashes: readonly string[],
  digests?: ChainDigests,
): Prepared {
  const targets: string[] = [];
  const sets: SetMatch[] = [];
  const rules = new Array<RenderedRule>(bodies.length);
  for (let i = 0; i < bodies.length; i++) {
    const r = c.rules[i] as IRule;
    if (r.action?.target !== undefined) targets.push(r.action.target);
    const m = setMatches(r);
    if (m) sets.push(...m);
    rules[i] = renderedRule(hashes[i] as string, bodies[i] as string, m, r.source);
  }
  const chain: Chain = {
    name: c.name,
    rules,
    comment: chainComment(c),
    ...(c.source ? { source: c.source } : {}),
  };
  return digests ? { chain, targets, sets, digests } : { chain, targets, sets };
}

/** Per state and table scope, the sorted chain names of the last build (TableBuilder.order). */
const LAST_ORDER = new WeakMap<DataplaneState, Map<string, readonly string[]>>();

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Where the compiler reports what it compiled around, and the desired IP sets (shared by all tables). */
export interface CompileSink {
  readonly ipsets: Map<string, IpSetState>;
  readonly warnings: string[];
}

/** What a table module gets to compile one (table, family). */
export interface TableInput {
  readonly state: DataplaneState;
  readonly cfg: CompilerConfig;
  readonly marks: MarkBits;
  readonly family: IpFamily;
  readonly sink: CompileSink;
  /** Endpoint tiers grouped into policy groups, planned once per compile for all tables and families. */
  readonly planned: TierPlanner;
  /** JSON of cfg: part of every memo key. */
  readonly cfgKey: string;
}

/** A table module (filter-table.ts; later raw-, mangle-, nat-table.ts): one table of one family. */
export type TableCompiler = (input: TableInput) => TableState;

export class TableBuilder {
  private readonly candidates = new Map<string, Prepared>();
  /** Chains of state entries kept across compiles (addEntries); behind the candidates. */
  private readonly layers: EntryLayer<Prepared>[] = [];
  private readonly inserts = new Map<string, readonly RenderedRule[]>();
  private readonly appends = new Map<string, readonly RenderedRule[]>();
  /** The hook rules, in hook order: where reachability starts. */
  private readonly hookRules: Prepared[] = [];
  /** Hash-cache and memo scope, e.g. "filter4". */
  private readonly scope: string;

  readonly family: IpFamily;
  private readonly state: DataplaneState;
  /** Memo key of everything the table's chains depend on besides their own entry (the config). */
  private readonly cfgKey: string;
  private readonly sink: CompileSink;

  constructor(
    readonly table: TableName,
    input: TableInput,
  ) {
    this.family = input.family;
    this.state = input.state;
    this.cfgKey = input.cfgKey;
    this.sink = input.sink;
    this.scope = `${table}${input.family}`;
  }

  /** A candidate chain (hashes memoised in the state's hash cache). */
  add(c: IChain): void {
    this.candidates.set(c.name, this.prepare(c));
  }

  /** Chains that depend only on one state entry (and the config), memoised on that entry. */
  addMemo(source: object, produce: () => IChain[], extraKey = ''): void {
    for (const p of this.memoized(source, produce, extraKey)) this.candidates.set(p.chain.name, p);
  }

  /**
   * addMemo for every entry of a state map (the policies, the profiles), through this table's layer
   * of them (entry-layer.ts): an entry that is the same object as at the last compile is not visited
   * again. `produce` gives an entry's chains ([] for none); `extraKey` is addMemo's.
   */
  addEntries<S extends object>(
    kind: string,
    entries: ReadonlyMap<string, S>,
    produce: (key: string, source: S) => IChain[],
    extraKey?: (key: string) => string,
  ): void {
    const layer = entryLayer<Prepared>(this.state, `${this.scope}|${kind}`, this.cfgKey);
    const make = (key: string, source: S): Prepared[] =>
      this.memoized(source, () => produce(key, source), extraKey?.(key) ?? '');
    layer.begin();
    for (const [key, source] of entries) layer.visit(key, source, make);
    layer.end();
    this.layers.push(layer);
  }

  /** The prepared chains of one state entry, memoised on it (and the config and `extraKey`). */
  private memoized(source: object, produce: () => IChain[], extraKey: string): Prepared[] {
    // `extraKey` goes with the scope, not the config's key: that is a JSON of the whole config, and
    // joining the two made a copy of it for every profile on every compile (bench/scale.md, Win 9).
    const key = this.cfgKey;
    const scope = extraKey === '' ? this.scope : this.scope + extraKey;
    return this.state.chainMemo.get(source, scope, key, () => {
      // IPv6 after IPv4: a chain that renders the same in both (most policies) reuses IPv4's hashes.
      const twins =
        this.family === 6
          ? (this.state.chainMemo.peek(source, `${this.table}4${extraKey}`, key) as Prepared[] | undefined)
          : undefined;
      return produce().map((c) => {
        const bodies = c.rules.map(renderBody);
        const twin = twins?.find((p) => p.chain.name === c.name);
        return twin && isTwin(twin, c, bodies) ? twin : prepareChain(c, ruleHashes, bodies);
      });
    }) as Prepared[];
  }

  /** A candidate by name: added this compile, else from a layer of entries. */
  private candidate(name: string): Prepared | undefined {
    const p = this.candidates.get(name);
    if (p !== undefined) return p;
    for (const l of this.layers) {
      const q = l.get(name);
      if (q !== undefined) return q;
    }
    return undefined;
  }

  /**
   * A chain whose rules do not depend on the IP family, memoised by name and `key` (everything it
   * depends on besides the config) across compiles and shared by both families' tables.
   */
  addShared(key: string, name: string, produce: () => IChain): void {
    const p = this.state.sharedChains.get(`${this.table}|${name}`, key, (old) =>
      prepareShared(produce(), old as Prepared | undefined),
    ) as Prepared;
    this.candidates.set(p.chain.name, p);
  }

  /**
   * Hook rules in a kernel chain, hashed with the kernel chain's name. Insert mode puts them at the top;
   * append mode appends them before the hook's always-appends, the order Felix expects there.
   */
  hook(kernel: string, rules: readonly IRule[], mode: 'insert' | 'append'): void {
    const p = prepareChain({ name: kernel, rules }, ruleHashes);
    this.hookRules.push(p);
    (mode === 'insert' ? this.inserts : this.appends).set(kernel, p.chain.rules);
  }

  /** Rules always appended to a kernel chain, hashed with "<chain>*appends*". */
  alwaysAppend(kernel: string, rules: readonly IRule[]): void {
    const p = prepareChain({ name: `${kernel}*appends*`, rules }, ruleHashes);
    this.hookRules.push(p);
    this.appends.set(kernel, [...(this.appends.get(kernel) ?? []), ...p.chain.rules]);
  }

  /** The table: the chains reachable from the hooks, sorted by name. */
  build(): TableState {
    // The names reached, in the order found; the chains come from the candidates (or the placeholders
    // below) when the sorted map is made, so no second map of every chain is built per compile.
    const queue: string[] = [];
    const enqueued = new Set<string>();
    let placeholders: Map<string, Prepared> | undefined;
    const visit = (p: Prepared): void => {
      for (const t of p.targets) {
        if (!enqueued.has(t)) {
          enqueued.add(t);
          queue.push(t);
        }
      }
      for (const s of p.sets) this.noteSetRef(s);
    };
    for (const p of this.hookRules) visit(p);
    for (let qi = 0; qi < queue.length; qi++) {
      const name = queue[qi] as string;
      let p = this.candidate(name);
      if (!p) {
        // A policy or profile that has not arrived (yet): an empty chain gives no verdict, so the endpoint
        // falls through to its end-of-tier / no-profile drop, and restore does not fail on a missing chain.
        this.warnOnce(`chain ${name} is referenced but its policy/profile is not known; programmed empty`);
        p = this.prepare({ name, rules: [] });
        (placeholders ??= new Map()).set(name, p);
      }
      visit(p);
    }
    const sorted = new Map<string, Chain>();
    for (const name of this.order(queue, enqueued))
      sorted.set(name, (this.candidate(name) ?? (placeholders as Map<string, Prepared>).get(name))!.chain);
    return {
      table: this.table,
      family: this.family,
      chains: sorted,
      inserts: this.inserts,
      appends: this.appends,
    };
  }

  /** A warning about the input, given once per compile (with the IPv4 table; IPv6 sees the same input). */
  warnOnce(text: string): void {
    if (this.family === 4) this.sink.warnings.push(text);
  }

  /** The chain names in byte order: the last compile's order while the set of names is the same. */
  private order(names: readonly string[], has: ReadonlySet<string>): readonly string[] {
    let byScope = LAST_ORDER.get(this.state);
    if (!byScope) LAST_ORDER.set(this.state, (byScope = new Map()));
    const last = byScope.get(this.scope);
    if (last && last.length === names.length && last.every((n) => has.has(n))) return last;
    const order = [...names].sort(cmp);
    byScope.set(this.scope, order);
    return order;
  }

  private prepare(c: IChain): Prepared {
    return prepareChain(c, (name, bodies) => this.state.hashCache.hashes(this.scope, name, bodies));
  }

  /** A rule refers to an IP set that the calc graph has not sent: program it empty so restore succeeds. */
  private noteSetRef(s: SetMatch): void {
    const { ipsets, warnings } = this.sink;
    if (ipsets.has(s.name)) return;
    warnings.push(`IP set ${s.name} is referenced but not known; programmed empty`);
    const type = s.withPort ? 'hash:ip,port' : 'hash:net';
    ipsets.set(s.name, { name: s.name, type, family: this.family, members: new Set() });
  }
}
