// Configuration at start and from the datastore (felix/daemon/daemon.go, felix/logutils/logutils.go): what to log once,
// and what a datastore ConfigUpdate means: taken in place, ignored, or a restart (rc 129).
import {
  describeValue,
  diffConfig,
  noEffectSettings,
  restartRequired,
  withDatastore,
  type FelixConfig,
  type LoadedConfig,
  type ParamName,
} from '../config/index.js';
import type { Logger } from '../log/index.js';
import { natNotices } from './compiler-config.js';

export type ConfigDecision =
  | { readonly kind: 'rejected'; readonly error: string }
  | { readonly kind: 'unchanged'; readonly next: LoadedConfig }
  | { readonly kind: 'apply'; readonly next: LoadedConfig; readonly changed: readonly ParamName[] }
  | { readonly kind: 'restart'; readonly next: LoadedConfig; readonly keys: readonly ParamName[] };

/**
 * Merges the datastore's config under the local sources. Before the dataplane starts every change
 * is taken in place (nothing is programmed yet); afterwards a change outside Felix's no-restart
 * set means a restart.
 */
export function decideConfigUpdate(
  current: LoadedConfig,
  datastore: Readonly<Record<string, string>>,
  dataplaneStarted: boolean,
): ConfigDecision {
  let next: LoadedConfig;
  try {
    next = withDatastore(current, datastore);
  } catch (e) {
    return { kind: 'rejected', error: e instanceof Error ? e.message : String(e) };
  }
  const changed = diffConfig(current.config, next.config);
  if (changed.length === 0) return { kind: 'unchanged', next };
  const keys = dataplaneStarted ? restartRequired(changed) : [];
  return keys.length > 0 ? { kind: 'restart', next, keys } : { kind: 'apply', next, changed };
}

/** Configuration log lines, each at most once per process. */
export class ConfigLog {
  private readonly warned = new Set<string>();
  private readonly noEffectNamed = new Set<string>();

  constructor(private readonly log: Logger) {}

  /** Felix logs where each value came from (felix/logutils/logutils.go "Parsed value for ..."); one summary line here. */
  loaded(loaded: LoadedConfig): void {
    this.resolverWarnings(loaded);
    const by: Record<string, string[]> = {};
    for (const [name, src] of Object.entries(loaded.sources)) {
      if (src === 'default') continue;
      (by[src] ??= []).push(name);
      this.log.debug(`Parsed value for ${name}: ${describeValue(loaded.config[name as ParamName])}`, {
        source: src,
      });
    }
    this.log.info('Successfully loaded configuration.', {
      configFile: loaded.local.configFileFound ? loaded.local.configFile : 'none',
      ...Object.fromEntries(Object.entries(by).map(([k, v]) => [k, v.sort().join(',')])),
    });
    this.noEffect(loaded);
  }

  /** The resolver's warnings and the parameters set to no effect, each named once. */
  warnings(loaded: LoadedConfig): void {
    this.resolverWarnings(loaded);
    this.noEffect(loaded);
  }

  private resolverWarnings(loaded: LoadedConfig): void {
    for (const w of loaded.warnings) {
      if (this.warned.has(w)) continue;
      this.warned.add(w);
      this.log.warn(w);
    }
  }

  /** One line naming the no-effect parameters set to a non-default value (not named before). */
  private noEffect(loaded: LoadedConfig): void {
    // What felix-ts only partly enforces of the nat/overlay settings (compiler-config.ts natNotices).
    for (const text of natNotices(loaded.config)) {
      if (this.noEffectNamed.has(text)) continue;
      this.noEffectNamed.add(text);
      this.log.warn(text);
    }
    const names = noEffectSettings(loaded.config).filter((n) => !this.noEffectNamed.has(n));
    if (names.length === 0) return;
    for (const n of names) this.noEffectNamed.add(n);
    this.log.warn('Config parameter has no effect in felix-ts; ignoring it.', { names: names.join(',') });
  }

  restarting(keys: readonly ParamName[], from: FelixConfig, to: FelixConfig): void {
    for (const key of keys) {
      this.log.info('Configuration value changed; change DOES require Felix to restart.', {
        key,
        oldValue: describeValue(from[key]),
        newValue: describeValue(to[key]),
      });
    }
  }
}
