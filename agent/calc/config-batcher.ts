// The config batcher (felix/calc/config_batcher.go): global, selector-scoped and per-host config and the
// Ready flag. It holds config back until the datastore is in sync, then reports the merged config to the
// event sequencer whenever it may have changed; the sequencer drops an unchanged one. Precedence, lowest
// first: global, the selector-scoped FelixConfiguration that matches this node's labels (selector-config.ts),
// per-host (felix/config/config_params.go DatastoreGlobal < DatastorePerSelector < DatastorePerHost).
// State: the config maps, the selector-scoped entries, the local Node's labels, Ready, dirty, in-sync.
import type { ConfigSink } from './event-sequencer.js';
import { mergeSelectorConfigs, selectorConfigEntry, type SelectorConfigEntry } from './selector-config.js';
import type { CalcLogger } from './types.js';

const NOOP: CalcLogger = { debug() {}, info() {}, warn() {}, error() {} };

/** The part of a v3 Node the batcher reads: its labels map (absent and null differ from {} in Go). */
export interface NodeLabelsSource {
  readonly metadata?: { readonly labels?: Readonly<Record<string, string>> | null } | null;
}

export class ConfigBatcher {
  private readonly globalConfig = new Map<string, string>();
  private readonly hostConfig = new Map<string, string>();
  private readonly selectorConfigs = new Map<string, SelectorConfigEntry>();
  /** The local Node's labels; undefined when there is no Node or it has no labels map. */
  private nodeLabels: Readonly<Record<string, string>> | undefined;
  /** The winning selector-scoped config for the current labels; recomputed after a change. */
  private selectorMerged: Record<string, string> | undefined;
  private ready: boolean | undefined;
  private dirty = false;
  private inSync = false;

  constructor(
    private readonly hostname: string,
    private readonly log: CalcLogger = NOOP,
  ) {}

  /** True/false once the Ready flag has been seen; undefined if never set. */
  get datastoreReady(): boolean | undefined {
    return this.ready;
  }

  onReady(value: boolean | undefined): void {
    this.ready = value;
    this.dirty = true;
  }

  onGlobalConfig(name: string, value: string | undefined): void {
    if (value !== undefined) this.globalConfig.set(name, value);
    else if (!this.globalConfig.delete(name)) return;
    this.dirty = true;
  }

  onHostConfig(hostname: string, name: string, value: string | undefined): void {
    if (hostname !== this.hostname) return;
    if (value !== undefined) this.hostConfig.set(name, value);
    else if (!this.hostConfig.delete(name)) return;
    this.dirty = true;
  }

  /**
   * A FelixConfiguration that came as a whole resource (a selector-scoped one); `resource` undefined is a
   * delete. A malformed nodeSelector is logged with the key and the update ignored: as in Felix, a version
   * seen before under the same name stays in force.
   */
  onFelixConfigResource(name: string, key: string, resource: unknown): void {
    if (resource === undefined) {
      if (this.selectorConfigs.delete(name)) {
        this.selectorChanged();
        this.log.info('Selector-scoped FelixConfiguration deleted', { name, key });
      }
      return;
    }
    const r = selectorConfigEntry(name, resource);
    if (!r.ok) {
      const msg =
        r.what === 'selector'
          ? 'Failed to parse nodeSelector on FelixConfiguration, ignoring'
          : 'Failed to decode selector-scoped FelixConfiguration, ignoring';
      this.log.warn(msg, {
        name,
        key,
        selector: r.selectorText,
        error: r.error,
      });
      return;
    }
    this.selectorConfigs.set(name, r.entry);
    this.selectorChanged();
    this.log.info('Selector-scoped FelixConfiguration updated', {
      name,
      selector: r.entry.selectorText,
      config: r.entry.config,
    });
  }

  /** A v3 Node; only the local one's labels matter (onNodeUpdate). `node` undefined is a delete. */
  onNode(name: string, node: NodeLabelsSource | undefined): void {
    if (name !== this.hostname) return;
    if (node === undefined) {
      if (this.nodeLabels !== undefined) {
        this.nodeLabels = undefined;
        this.selectorChanged();
        this.log.info('Local node deleted, clearing node labels');
      }
      return;
    }
    const labels = node.metadata?.labels ?? undefined;
    if (sameLabels(this.nodeLabels, labels)) return;
    this.nodeLabels = labels === undefined ? undefined : { ...labels };
    this.selectorChanged();
    this.log.info('Local node labels changed', { labels });
  }

  onInSync(): void {
    if (this.inSync) return;
    this.inSync = true;
    this.dirty = true;
  }

  /** The local Node's labels as the selectors see them (undefined: no Node, or no labels map). */
  get localNodeLabels(): Readonly<Record<string, string>> | undefined {
    return this.nodeLabels;
  }

  /** One parameter's effective datastore value (host over selector-scoped over global). */
  get(name: string): string | undefined {
    return this.hostConfig.get(name) ?? this.selectorConfig()[name] ?? this.globalConfig.get(name);
  }

  private selectorChanged(): void {
    this.selectorMerged = undefined;
    this.dirty = true;
  }

  private selectorConfig(): Record<string, string> {
    return (this.selectorMerged ??= mergeSelectorConfigs(
      this.selectorConfigs.values(),
      this.nodeLabels,
      this.log,
    ));
  }

  /** No config updates before InSync; after it, the merged config if anything changed. */
  flush(sink: ConfigSink): void {
    if (!this.inSync || !this.dirty) return;
    this.dirty = false;
    const merged: Record<string, string> = {};
    for (const [k, v] of this.globalConfig) merged[k] = v;
    for (const [k, v] of Object.entries(this.selectorConfig())) merged[k] = v;
    for (const [k, v] of this.hostConfig) merged[k] = v;
    sink.onConfigUpdate(merged);
  }
}

/** maps.Equal: nil and an empty map are equal, as Felix compares them. */
function sameLabels(
  a: Readonly<Record<string, string>> | undefined,
  b: Readonly<Record<string, string>> | undefined,
): boolean {
  const ak = Object.keys(a ?? {});
  const bk = Object.keys(b ?? {});
  return (
    ak.length === bk.length &&
    ak.every((k) => Object.prototype.hasOwnProperty.call(b ?? {}, k) && a?.[k] === b?.[k])
  );
}
