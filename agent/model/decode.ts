// Key + value decoding of one KV: the schema (values.ts), then Felix's cross-field checks
// (validate.ts); felix/calc/validation_filter.go treats a value failing either as missing.
import type { z } from 'zod';
import { parseKey, type Key, type KeyType } from './keys.js';
import {
  hostEndpointSchema,
  ipPoolSchema,
  networkSetSchema,
  policySchema,
  profileLabelsSchema,
  profileRulesSchema,
  rawConfigSchema,
  readyFlagSchema,
  tierSchema,
  v3ProfileSchema,
  v3ResourceSchema,
  wireguardSchema,
  workloadEndpointSchema,
} from './values.js';
import { valueProblems } from './validate.js';
import { BAD, FAST_PATHS } from './fast-decode.js';
import { bgpConfigurationSchema, endpointSliceSchema, K8S_PLURALS, serviceSchema } from './k8s.js';

const SCHEMAS = {
  ready: readyFlagSchema,
  globalConfig: rawConfigSchema,
  hostConfig: rawConfigSchema,
  tier: tierSchema,
  policy: policySchema,
  profileRules: profileRulesSchema,
  profileLabels: profileLabelsSchema,
  workloadEndpoint: workloadEndpointSchema,
  hostEndpoint: hostEndpointSchema,
  networkSet: networkSetSchema,
  ipPool: ipPoolSchema,
  wireguard: wireguardSchema,
  hostIp: rawConfigSchema,
  block: v3ResourceSchema,
  resource: v3ResourceSchema,
} as const satisfies Record<KeyType, z.ZodType>;

const RESOURCE_SCHEMAS: ReadonlyMap<string, z.ZodType> = new Map<string, z.ZodType>([
  ['profiles', v3ProfileSchema],
  [K8S_PLURALS.endpointSlice, endpointSliceSchema],
  [K8S_PLURALS.service, serviceSchema],
  [K8S_PLURALS.bgpConfiguration, bgpConfigurationSchema],
]);

export type ValueOf<T extends KeyType> = z.output<(typeof SCHEMAS)[T]>;

/** Keys whose value is a raw string rather than JSON (libcalico-go/lib/backend/model: config, ready, host IP). */
const RAW: ReadonlySet<KeyType> = new Set<KeyType>(['ready', 'globalConfig', 'hostConfig', 'hostIp']);

export class ValueDecodeError extends Error {
  readonly code = 'ERR_MODEL_BAD_VALUE';
  constructor(
    readonly keyPath: string,
    detail: string,
  ) {
    super(`invalid value for ${keyPath}: ${detail}`);
    this.name = 'ValueDecodeError';
  }
}

export type DecodeResult<T> =
  { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: ValueDecodeError };

/** Decodes the raw value of a parsed key; never throws. */
export function decodeValue<K extends Key>(
  key: K,
  path: string,
  raw: string,
): DecodeResult<ValueOf<K['type']>> {
  let input: unknown = raw;
  if (!RAW.has(key.type)) {
    try {
      input = JSON.parse(raw);
    } catch (e) {
      return { ok: false, error: new ValueDecodeError(path, `not JSON (${(e as Error).message})`) };
    }
  }
  const data = checkValue(key, path, input);
  if (data instanceof ValueDecodeError) return { ok: false, error: data };
  const problems = valueProblems(key, data);
  if (problems.length > 0) {
    const detail = problems.map((p) => `${p.path}: ${p.message}`).join('; ');
    return { ok: false, error: new ValueDecodeError(path, detail) };
  }
  return { ok: true, value: data as ValueOf<K['type']> };
}

/** The schema's output for a parsed value: the fast path when it accepts, else zod (and its error). */
function checkValue(key: Key, path: string, input: unknown): unknown {
  const fast = FAST_PATHS[key.type]?.(input) ?? BAD;
  if (fast !== BAD) return fast;
  // v3 Profiles carry the labels endpoints inherit, slices, Services and the BGPConfiguration feed
  // the service index and loop prevention; other resources only need an envelope.
  const schema: z.ZodType =
    (key.type === 'resource' && RESOURCE_SCHEMAS.get(key.plural)) || SCHEMAS[key.type];
  const r = schema.safeParse(input);
  if (r.success) return r.data;
  const first = r.error.issues[0];
  const where = first && first.path.length > 0 ? `${first.path.join('.')}: ` : '';
  return new ValueDecodeError(path, `${where}${first?.message ?? 'schema mismatch'}`);
}

export { parseKey };
