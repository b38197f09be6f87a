// Reading raw (string) values from each local source: FELIX_* env vars, the INI config file and
// CLI flags (felix/config/config_params.go). Nothing is parsed or validated here; see ./resolve.ts.
import { readFileSync } from 'node:fs';
import { canonicalParamName, type ParamName } from './params.js';

export type SourceKind = 'default' | 'datastore' | 'file' | 'env' | 'flag';

export interface RawValue {
  readonly raw: string;
  /** Human description of where it came from, e.g. `env FELIX_TYPHAADDR` or `/etc/calico/felix.cfg:3`. */
  readonly origin: string;
}

export interface RawLayer {
  readonly kind: SourceKind;
  readonly values: ReadonlyMap<ParamName, RawValue>;
}

/** What the local sources said, plus notes for the start-up log. */
export interface LocalSources {
  /** Highest priority first: flags, env, file. */
  readonly layers: readonly RawLayer[];
  readonly configFile: string;
  readonly configFileFound: boolean;
  readonly warnings: readonly string[];
}

export const DEFAULT_CONFIG_FILE = '/etc/calico/felix.cfg';

export interface IniEntry {
  readonly key: string;
  readonly value: string;
  readonly line: number;
}

/**
 * Felix's INI reader keeps keys from every section ("[global]" is only a convention) (felix/config/config_params.go).
 * Supports `key = value` and `key: value`, `#`/`;` comments and surrounding quotes.
 */
export function parseIni(text: string): IniEntry[] {
  const out: IniEntry[] = [];
  const lines = text.split(/\r?\n/);
  lines.forEach((l, i) => {
    const s = l.trim();
    if (s === '' || s.startsWith('#') || s.startsWith(';') || (s.startsWith('[') && s.endsWith(']'))) return;
    const m = /^([^=:]+?)\s*[=:]\s*(.*)$/.exec(s);
    if (!m) return;
    let v = (m[2] as string).trim();
    if (v.length >= 2 && ((v.startsWith('"') && v.endsWith('"')) || (v.startsWith("'") && v.endsWith("'"))))
      v = v.slice(1, -1);
    out.push({ key: (m[1] as string).trim(), value: v, line: i + 1 });
  });
  return out;
}

export function fileLayer(text: string, path: string, warnings: string[]): RawLayer {
  const values = new Map<ParamName, RawValue>();
  for (const e of parseIni(text)) {
    const name = canonicalParamName(e.key);
    if (!name) {
      warnings.push(`Ignoring unknown config param. name=${e.key} source=${path}:${e.line}`);
      continue;
    }
    // Empty values are ignored (felix/config/config_params.go: use 'none' for the zero value).
    if (e.value === '') continue;
    if (values.has(name)) warnings.push(`Duplicate config key in ${path}: ${e.key} (line ${e.line} wins)`);
    values.set(name, { raw: e.value, origin: `${path}:${e.line}` });
  }
  return { kind: 'file', values };
}

/** Variables whose name starts with FELIX_ in any case; the rest is matched case-insensitively (felix/config/config_params.go). */
export function envLayer(env: Readonly<Record<string, string | undefined>>, warnings: string[]): RawLayer {
  const values = new Map<ParamName, RawValue>();
  for (const [k, v] of Object.entries(env)) {
    if (v === undefined || !/^felix_/i.test(k)) continue;
    const suffix = k.slice(6);
    // Not parameters: the config-file path and the early log level.
    if (/^(configfile|earlylogseverityscreen)$/i.test(suffix)) continue;
    const name = canonicalParamName(suffix);
    if (!name) {
      warnings.push(`Ignoring unknown config param. name=${k} source=env`);
      continue;
    }
    if (v === '') continue;
    values.set(name, { raw: v, origin: `env ${k}` });
  }
  return { kind: 'env', values };
}

export function flagLayer(sets: readonly string[], warnings: string[], problems: string[]): RawLayer {
  const values = new Map<ParamName, RawValue>();
  for (const s of sets) {
    const eq = s.indexOf('=');
    const name = eq > 0 ? canonicalParamName(s.slice(0, eq)) : undefined;
    if (eq <= 0) {
      problems.push(`--set ${JSON.stringify(s)}: expected Name=Value`);
      continue;
    }
    if (!name) {
      warnings.push(`Ignoring unknown config param. name=${s.slice(0, eq)} source=flag`);
      continue;
    }
    if (s.slice(eq + 1) === '') continue;
    values.set(name, { raw: s.slice(eq + 1), origin: `flag --set ${s.slice(0, eq)}` });
  }
  return { kind: 'flag', values };
}

export interface LocalSourceInput {
  readonly env: Readonly<Record<string, string | undefined>>;
  /** --config-file / -c. */
  readonly configFile?: string | undefined;
  /** --set Name=Value, in order. */
  readonly sets?: readonly string[];
  /** Injected for tests. */
  readonly readFile?: (path: string) => string;
}

export interface LocalSourcesResult extends LocalSources {
  /** Syntax problems in flags (reported with the validation errors). */
  readonly flagProblems: readonly string[];
}

export function readLocalSources(input: LocalSourceInput): LocalSourcesResult {
  const warnings: string[] = [];
  const flagProblems: string[] = [];
  const envFile = Object.entries(input.env).find(([k]) => /^felix_configfile$/i.test(k))?.[1];
  const configFile = input.configFile ?? (envFile && envFile !== '' ? envFile : DEFAULT_CONFIG_FILE);
  const read = input.readFile ?? ((p: string) => readFileSync(p, 'utf8'));
  let text: string | null = null;
  try {
    text = read(configFile);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') warnings.push(`Ignoring absent config file. path=${configFile}`);
    else flagProblems.push(`config file ${configFile}: ${(e as Error).message}`);
  }
  const layers: RawLayer[] = [
    flagLayer(input.sets ?? [], warnings, flagProblems),
    envLayer(input.env, warnings),
  ];
  if (text !== null) layers.push(fileLayer(text, configFile, warnings));
  return { layers, configFile, configFileFound: text !== null, warnings, flagProblems };
}
