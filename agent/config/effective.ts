// The effective configuration as a table: every parameter's value and where it came from (flag,
// env, config file with line, datastore or default), for `felix-ts diags` and /debug/config.
// Parameters marked sensitive are shown redacted. Pure.
import { PARAMS, PARAM_NAMES, type ParamName } from './params.js';
import { describeValue } from './resolve.js';
import type { LoadedConfig } from './load.js';

export interface EffectiveParam {
  readonly name: ParamName;
  readonly value: string;
  readonly source: string;
  /** Where a local value was set (`env FELIX_TYPHAADDR`, `/etc/calico/felix.cfg:3`). */
  readonly origin?: string;
}

export function effectiveConfig(loaded: LoadedConfig): EffectiveParam[] {
  return PARAM_NAMES.map((name) => {
    const source = loaded.sources[name];
    const layer = loaded.local.layers.find((l) => l.kind === source);
    const origin = layer?.values.get(name)?.origin;
    const value = PARAMS[name].sensitive ? '[redacted]' : describeValue(loaded.config[name]);
    return { name, value, source, ...(origin ? { origin } : {}) };
  });
}

/** One line per parameter: `Name = value  (source origin)`. */
export function formatEffectiveConfig(rows: readonly EffectiveParam[]): string {
  return rows.map((r) => `${r.name} = ${r.value}  (${r.source}${r.origin ? ` ${r.origin}` : ''})\n`).join('');
}
