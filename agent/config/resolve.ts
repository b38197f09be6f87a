// Merging the sources with Felix's precedence and validating the result with zod
// (felix/config/config_params.go): flag > env > config file > datastore > default.
// Felix ranks InternalOverride above env; CLI flags take that slot here.
// Datastore values never set local-only params, and a bad datastore value is dropped with a
// warning (it must not take a running node down); a bad local value is a hard error, and ALL
// bad fields are reported together in one ConfigError.
import { existsSync } from 'node:fs';
import {
  PARAMS,
  PARAM_NAMES,
  canonicalParamName,
  paramDefault,
  type FelixConfig,
  type ParamName,
} from './params.js';
import type { LocalSources, SourceKind } from './sources.js';

export interface ConfigProblem {
  readonly param: string;
  readonly value?: string | undefined;
  readonly origin?: string | undefined;
  readonly message: string;
}

export class ConfigError extends Error {
  readonly code = 'ERR_CONFIG_INVALID';
  constructor(readonly problems: readonly ConfigProblem[]) {
    super(
      `Invalid configuration (${problems.length} problem${problems.length === 1 ? '' : 's'}):\n` +
        problems
          .map(
            (p) =>
              `  - ${p.param}${p.value !== undefined ? `=${JSON.stringify(p.value)}` : ''}` +
              `${p.origin ? ` (${p.origin})` : ''}: ${p.message}`,
          )
          .join('\n'),
    );
    this.name = 'ConfigError';
  }
}

export interface ResolvedConfig {
  readonly config: FelixConfig;
  /** Which source supplied each parameter. */
  readonly sources: Readonly<Record<ParamName, SourceKind>>;
  /** The raw string behind each non-default value (for logs and `diff`). */
  readonly raw: Readonly<Partial<Record<ParamName, string>>>;
  readonly warnings: readonly string[];
}

export interface ResolveOptions {
  /** Check that the Typha TLS files exist (default true). */
  readonly checkFiles?: boolean;
}

export function resolveConfig(
  local: LocalSources & { readonly flagProblems?: readonly string[] },
  datastore: Readonly<Record<string, string>> = {},
  opts: ResolveOptions = {},
): ResolvedConfig {
  const warnings = [...local.warnings];
  const problems: ConfigProblem[] = (local.flagProblems ?? []).map((m) => ({ param: 'flags', message: m }));
  const rawIn: Record<string, string> = {};
  const origin: Partial<Record<ParamName, string>> = {};
  const sources = {} as Record<ParamName, SourceKind>;
  const raw: Partial<Record<ParamName, string>> = {};

  // Datastore layer: filter local-only and invalid values first (felix/config/config_params.go).
  const ds = new Map<ParamName, string>();
  for (const [k, v] of Object.entries(datastore)) {
    const name = canonicalParamName(k);
    if (!name) continue; // Unknown params are for external drivers in Felix; nothing to do here.
    if (v === '') continue;
    if (PARAMS[name].local) {
      warnings.push(`Ignoring local-only configuration. name=${name} source=datastore`);
      continue;
    }
    const r = PARAMS[name].schema.safeParse(v);
    if (!r.success) {
      warnings.push(
        `Replacing invalid value with default. name=${name} value=${JSON.stringify(v)} error=${r.error.issues[0]?.message ?? ''}`,
      );
      continue;
    }
    ds.set(name, v);
  }

  for (const name of PARAM_NAMES) {
    let chosen: { raw: string; origin: string; kind: SourceKind } | undefined;
    for (const layer of local.layers) {
      const v = layer.values.get(name);
      if (v) {
        chosen = { raw: v.raw, origin: v.origin, kind: layer.kind };
        break;
      }
    }
    if (!chosen && ds.has(name))
      chosen = { raw: ds.get(name) as string, origin: 'datastore', kind: 'datastore' };
    if (chosen) {
      rawIn[name] = chosen.raw;
      origin[name] = chosen.origin;
      sources[name] = chosen.kind;
      raw[name] = chosen.raw;
    } else {
      rawIn[name] = paramDefault(name);
      sources[name] = 'default';
    }
  }

  // Parse every field, so that one error can list all of them (zod, one schema per field).
  const values: Record<string, unknown> = {};
  for (const name of PARAM_NAMES) {
    const r = PARAMS[name].schema.safeParse(rawIn[name]);
    if (r.success) values[name] = r.data;
    else
      for (const issue of r.error.issues)
        problems.push({
          param: name,
          value: rawIn[name],
          origin: origin[name] ?? 'default',
          message: issue.message,
        });
  }
  problems.push(...crossFieldProblems(values as Partial<FelixConfig>, origin, opts));
  if (problems.length > 0) throw new ConfigError(problems);
  return { config: values as FelixConfig, sources, raw, warnings };
}

/** Checks that span several parameters (felix/config/config_params.go: Typha TLS is all-or-nothing). */
function crossFieldProblems(
  c: Partial<FelixConfig>,
  origin: Partial<Record<ParamName, string>>,
  opts: ResolveOptions,
): ConfigProblem[] {
  const out: ConfigProblem[] = [];
  const tls = {
    TyphaKeyFile: c.TyphaKeyFile ?? '',
    TyphaCertFile: c.TyphaCertFile ?? '',
    TyphaCAFile: c.TyphaCAFile ?? '',
  };
  const anyTls = Object.values(tls).some((v) => v !== '') || !!c.TyphaCN || !!c.TyphaURISAN;
  if (anyTls) {
    for (const [k, v] of Object.entries(tls)) {
      if (v === '')
        out.push({
          param: k,
          message:
            'required when any Typha TLS option is set (key, cert and CA files, plus TyphaCN or TyphaURISAN)',
        });
      else if (opts.checkFiles !== false && !existsSync(v))
        out.push({ param: k, value: v, origin: origin[k as ParamName], message: 'file does not exist' });
    }
    if (!c.TyphaCN && !c.TyphaURISAN)
      out.push({ param: 'TyphaCN', message: 'TyphaCN or TyphaURISAN is required with Typha TLS' });
  }
  if (c.FelixHostname === '') out.push({ param: 'FelixHostname', message: 'must not be empty' });
  return out;
}

/** The typed value of one param, compared structurally (maps and arrays included). */
function same(a: unknown, b: unknown): boolean {
  const norm = (x: unknown): string => JSON.stringify(x instanceof Map ? [...x.entries()].sort() : x);
  return norm(a) === norm(b);
}

/** Parameters whose effective value differs. */
export function diffConfig(a: FelixConfig, b: FelixConfig): ParamName[] {
  return PARAM_NAMES.filter((n) => !same(a[n], b[n]));
}

/** Parameters marked noEffect whose value is not the default: named in one warning at start. */
export function noEffectSettings(c: FelixConfig): ParamName[] {
  return PARAM_NAMES.filter((n) => {
    const why = PARAMS[n].noEffect;
    return why !== undefined && !same(c[n], PARAMS[n].schema.parse(paramDefault(n)));
  });
}

/** Of the changed parameters, those that need a restart (everything outside Felix's no-restart set, felix/daemon/daemon.go). */
export function restartRequired(changed: readonly ParamName[]): ParamName[] {
  return changed.filter((n) => !(PARAMS[n] as { hot?: boolean }).hot);
}

/** Felix's exit code for "config changed, restart me" (the same as SIGHUP's, felix/daemon/daemon.go). */
export const RESTART_EXIT_CODE = 129;

/** Milliseconds of the InternalDataplaneMainLoop timeout: DataplaneWatchdogTimeout, raised to >= 20 s (felix/daemon/daemon.go). */
export function dataplaneWatchdogMs(c: FelixConfig): number {
  return Math.max(c.DataplaneWatchdogTimeout, 20_000);
}

/** Raw string form of a value for logs (maps and lists in Felix's syntax). */
export function describeValue(v: unknown): string {
  if (v instanceof Map) return [...v.entries()].map(([k, d]) => `${String(k)}=${String(d)}ms`).join(',');
  if (Array.isArray(v))
    return v.map((x) => (typeof x === 'object' ? JSON.stringify(x) : String(x))).join(',');
  return String(v);
}
