// Hand-built DesiredState values for the writer tests, with Felix's chained rule hashes
// (felix/iptables/table.go) computed here so the tests do not depend on the compiler.
import { createHash } from 'node:crypto';
import type {
  Chain,
  IpFamily,
  IpSetState,
  IpSetType,
  RenderedRule,
  TableName,
  TableState,
} from '../../../rules/model.js';

export function ruleHashes(chain: string, bodies: readonly string[]): string[] {
  let prev = createHash('sha224').update(chain).digest();
  return bodies.map((body) => {
    const s = `-A ${chain} HASH` + (body === '' ? '' : ` ${body}`);
    prev = createHash('sha224').update(prev).update(s).digest();
    return prev.toString('base64url').slice(0, 16);
  });
}

export function rules(chain: string, bodies: readonly string[]): RenderedRule[] {
  const h = ruleHashes(chain, bodies);
  return bodies.map((body, i) => ({ hash: h[i]!, body }));
}

export interface TableSpec {
  readonly chains?: Readonly<Record<string, readonly string[]>>;
  readonly inserts?: Readonly<Record<string, readonly string[]>>;
  readonly appends?: Readonly<Record<string, readonly string[]>>;
}

export function mkTable(table: TableName, family: IpFamily, spec: TableSpec): TableState {
  const chains = new Map<string, Chain>();
  for (const [name, bodies] of Object.entries(spec.chains ?? {}))
    chains.set(name, { name, rules: rules(name, bodies) });
  const inserts = new Map<string, RenderedRule[]>();
  for (const [name, bodies] of Object.entries(spec.inserts ?? {})) inserts.set(name, rules(name, bodies));
  const appends = new Map<string, RenderedRule[]>();
  for (const [name, bodies] of Object.entries(spec.appends ?? {}))
    appends.set(name, rules(`${name}*appends*`, bodies));
  return { table, family, chains, inserts, appends };
}

export function mkSet(
  name: string,
  type: IpSetType,
  members: readonly string[],
  family: IpFamily = 4,
): IpSetState {
  return { name, type, family, members: new Set(members) };
}

export function mkSets(...sets: IpSetState[]): Map<string, IpSetState> {
  return new Map(sets.map((s) => [s.name, s]));
}
