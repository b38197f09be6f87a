// Selector-scoped FelixConfiguration (Felix v3.32.1): a FelixConfiguration named neither "default" nor
// "node.<name>" reaches Felix whole, as a v3 resource under its ResourceKey
// (/calico/resources/v3/projectcalico.org/felixconfigurations/<name>; configurationprocessor.go passes it
// through instead of splitting it into config keys). Its spec.nodeSelector is matched against the local
// Node's labels; of the matching resources the oldest by creationTimestamp (then name) wins, with a warning
// when there are several; its config sits between global and per-host config (felix/calc/config_batcher.go
// MergeSelectorConfigs, felix/config/config_params.go DatastorePerSelector).
import { parseSelector, type Selector } from '../selector/index.js';
import { extractFelixConfigFields } from '../model/felixconfig-v3.js';
import type { CalcLogger } from './types.js';

export interface SelectorConfigEntry {
  readonly name: string;
  /** Undefined for an empty or missing nodeSelector: such a resource matches no node. */
  readonly selector: Selector | undefined;
  readonly selectorText: string;
  readonly config: Readonly<Record<string, string>>;
  /** creationTimestamp in ms; -Infinity when unset (Go's zero time sorts first). */
  readonly created: number;
}

export type EntryResult =
  | { readonly ok: true; readonly entry: SelectorConfigEntry }
  | {
      readonly ok: false;
      /** 'selector': nodeSelector does not parse; 'value': another field Go could not have decoded. */
      readonly what: 'selector' | 'value';
      readonly selectorText: string;
      readonly error: string;
    };

interface FelixConfigurationJson {
  readonly metadata?: { readonly creationTimestamp?: unknown } | null;
  readonly spec?: { readonly nodeSelector?: unknown } | null;
}

/** A resource into an entry; a malformed selector (or value) is an error the caller logs and ignores. */
export function selectorConfigEntry(name: string, resource: unknown): EntryResult {
  const r = (resource ?? {}) as FelixConfigurationJson;
  const raw = r.spec?.nodeSelector;
  const selectorText = typeof raw === 'string' ? raw : '';
  if (raw !== undefined && raw !== null && typeof raw !== 'string')
    return { ok: false, what: 'selector', selectorText, error: 'nodeSelector is not a string' };
  let selector: Selector | undefined;
  if (selectorText !== '') {
    try {
      selector = parseSelector(selectorText);
    } catch (e) {
      return { ok: false, what: 'selector', selectorText, error: e instanceof Error ? e.message : String(e) };
    }
  }
  const ts = r.metadata?.creationTimestamp;
  let created = -Infinity;
  if (typeof ts === 'string' && ts !== '') {
    created = Date.parse(ts);
    if (Number.isNaN(created))
      return { ok: false, what: 'value', selectorText, error: `bad creationTimestamp ${ts}` };
  }
  let config: Record<string, string>;
  try {
    config = extractFelixConfigFields(resource);
  } catch (e) {
    return { ok: false, what: 'value', selectorText, error: e instanceof Error ? e.message : String(e) };
  }
  return { ok: true, entry: { name, selector, selectorText, config, created } };
}

/**
 * The config of the winning entry for these node labels (MergeSelectorConfigs). No labels (no local Node,
 * or a Node without a labels map) match nothing, as in Felix, where a nil label map returns early.
 */
export function mergeSelectorConfigs(
  entries: Iterable<SelectorConfigEntry>,
  labels: Readonly<Record<string, string>> | undefined,
  log: CalcLogger,
): Record<string, string> {
  if (labels === undefined) return {};
  const matches = [...entries].filter((e) => e.selector?.evaluate(labels) === true);
  if (matches.length === 0) return {};
  const winner = matches.reduce((a, b) => (older(b, a) ? b : a));
  if (matches.length > 1) {
    log.warn(
      'Multiple selector-scoped FelixConfigurations match this node; using the oldest by creation time. This is likely a misconfiguration.',
      { matching: matches.map((m) => m.name), winner: winner.name },
    );
  } else {
    log.debug('Selector-scoped FelixConfiguration matches local node', { name: winner.name });
  }
  return { ...winner.config };
}

function older(a: SelectorConfigEntry, b: SelectorConfigEntry): boolean {
  if (a.created !== b.created) return a.created < b.created;
  return a.name < b.name;
}
