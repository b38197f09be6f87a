// The one renderer of a rule into iptables-restore text (ruleSpec, ruleLine: Felix's
// `-A <chain> -m comment --comment "cali:<hash>" <body>`, felix/iptables/table.go), with the safety
// checks that stop datastore text from injecting lines or tokens into restore input. The table writer
// and the compiler's clean-node restore text (rules/compiler/restore-text.ts) both render through it.
import type { Chain, RenderedRule, TableState } from '../model.js';
import { DataplaneError } from '../backend/errors.js';
import { isOwnedChain } from './owned.js';

const HASH_RE = /^[A-Za-z0-9_-]{1,64}$/;
// iptables chain names: at most 28 characters (felix/iptables/table.go); no whitespace, quotes or control
// characters, and must not look like an option.
const CHAIN_RE = /^(?![-!])[!-~]{1,28}$/;
const CHAIN_FORBIDDEN_RE = /["'\\]/;

function hasLineBreak(s: string): boolean {
  return s.includes('\n') || s.includes('\r') || s.includes('\u0000');
}

/** `-m comment --comment "cali:<hash>"` + (body ? ' ' + body : ''): the rule spec we write. */
export function ruleSpec(rule: RenderedRule): string {
  return `-m comment --comment "cali:${rule.hash}"` + (rule.body ? ` ${rule.body}` : '');
}

/** One rule as restore input: "<op> <chain> <ruleSpec>". */
export function ruleLine(op: '-A' | '-I', chain: string, rule: RenderedRule): string {
  return `${op} ${chain} ${ruleSpec(rule)}`;
}

export function checkChainName(name: string): void {
  if (!CHAIN_RE.test(name) || CHAIN_FORBIDDEN_RE.test(name)) {
    throw new DataplaneError(
      'ERR_UNSAFE_RESTORE_TEXT',
      `unsafe or invalid chain name ${JSON.stringify(name)}`,
    );
  }
}

export function checkRule(chain: string, rule: RenderedRule): void {
  if (!HASH_RE.test(rule.hash)) {
    throw new DataplaneError(
      'ERR_UNSAFE_RESTORE_TEXT',
      `invalid rule hash ${JSON.stringify(rule.hash)} in ${chain}`,
    );
  }
  if (hasLineBreak(rule.body)) {
    throw new DataplaneError('ERR_UNSAFE_RESTORE_TEXT', `rule body in ${chain} contains a line break or NUL`);
  }
}

/**
 * Chain objects whose name and rules passed the checks. Desired chains are immutable and the compiler
 * reuses unchanged ones between compiles, so each is checked once, not on every apply.
 */
const CHECKED = new WeakSet<Chain>();

/** Validates a desired table before anything is rendered from it. */
export function checkTableState(t: TableState): void {
  for (const [name, chain] of t.chains) {
    if (chain.name !== name) {
      throw new DataplaneError('ERR_BAD_DESIRED_STATE', `chain map key ${name} != chain name ${chain.name}`);
    }
    if (CHECKED.has(chain)) continue;
    checkChainName(name);
    if (!isOwnedChain(name)) {
      throw new DataplaneError('ERR_BAD_DESIRED_STATE', `desired chain ${name} is not under an owned prefix`);
    }
    for (const r of chain.rules) checkRule(name, r);
    CHECKED.add(chain);
  }
  for (const m of [t.inserts, t.appends]) {
    for (const [name, rules] of m) {
      checkChainName(name);
      if (isOwnedChain(name)) {
        throw new DataplaneError(
          'ERR_BAD_DESIRED_STATE',
          `insert/append target ${name} must be a kernel chain`,
        );
      }
      for (const r of rules) checkRule(name, r);
    }
  }
}
