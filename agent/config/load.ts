// One call for the daemon and CLI: read the local sources and resolve them.
import { readLocalSources, type LocalSourceInput, type LocalSourcesResult } from './sources.js';
import { resolveConfig, type ResolveOptions, type ResolvedConfig } from './resolve.js';

export interface LoadedConfig extends ResolvedConfig {
  readonly local: LocalSourcesResult;
}

/** Reads env, the config file and flags; throws ConfigError listing every bad field. */
export function loadConfig(input: LocalSourceInput, opts: ResolveOptions = {}): LoadedConfig {
  const local = readLocalSources(input);
  return { ...resolveConfig(local, {}, opts), local };
}

/** Re-resolves with the datastore's config (the calc graph's ConfigUpdate) under the local sources. */
export function withDatastore(
  loaded: LoadedConfig,
  datastore: Readonly<Record<string, string>>,
  opts: ResolveOptions = {},
): LoadedConfig {
  return { ...resolveConfig(loaded.local, datastore, opts), local: loaded.local };
}
