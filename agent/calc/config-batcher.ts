// The config batcher (felix/calc/config_batcher.go): global and per-host config and the Ready
// flag. It holds config back until the datastore is in sync, then reports the merged config (host
// overrides global) to the event sequencer whenever it may have changed; the sequencer drops an
// unchanged one. State: the two config maps, the Ready flag, dirty and in-sync flags.
import type { ConfigSink } from './event-sequencer.js';

export class ConfigBatcher {
  private readonly globalConfig = new Map<string, string>();
  private readonly hostConfig = new Map<string, string>();
  private ready: boolean | undefined;
  private dirty = false;
  private inSync = false;

  constructor(private readonly hostname: string) {}

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

  onInSync(): void {
    if (this.inSync) return;
    this.inSync = true;
    this.dirty = true;
  }

  /** One parameter's effective value (host overrides global). */
  get(name: string): string | undefined {
    return this.hostConfig.get(name) ?? this.globalConfig.get(name);
  }

  /** No config updates before InSync; after it, the merged config if anything changed. */
  flush(sink: ConfigSink): void {
    if (!this.inSync || !this.dirty) return;
    this.dirty = false;
    const merged: Record<string, string> = {};
    for (const [k, v] of this.globalConfig) merged[k] = v;
    for (const [k, v] of this.hostConfig) merged[k] = v;
    sink.onConfigUpdate(merged);
  }
}
