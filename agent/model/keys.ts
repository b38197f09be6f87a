// Key parser for every key the felix syncer sends (libcalico-go/lib/backend/model/keys.go KeyFromDefaultPath).
import { unescapeName } from './escape.js';

/** Policy kinds as they appear in modern keys (libcalico-go/lib/backend/model/policy.go), with their PolicyID short kinds. */
export const POLICY_KINDS = {
  NetworkPolicy: 'np',
  GlobalNetworkPolicy: 'gnp',
  KubernetesNetworkPolicy: 'knp',
  KubernetesClusterNetworkPolicy: 'kcnp',
  StagedNetworkPolicy: 'snp',
  StagedGlobalNetworkPolicy: 'sgnp',
  StagedKubernetesNetworkPolicy: 'sknp',
} as const;
export type PolicyKind = keyof typeof POLICY_KINDS;

export function isPolicyKind(s: string): s is PolicyKind {
  return Object.prototype.hasOwnProperty.call(POLICY_KINDS, s);
}

export function isStagedKind(k: PolicyKind): boolean {
  return k.startsWith('Staged');
}

export type Key =
  | { readonly type: 'ready' }
  | { readonly type: 'globalConfig'; readonly name: string }
  | { readonly type: 'hostConfig'; readonly hostname: string; readonly name: string }
  | { readonly type: 'tier'; readonly name: string }
  | {
      readonly type: 'policy';
      readonly kind: PolicyKind;
      readonly namespace: string;
      readonly name: string;
      /** Set for legacy (≤ v3.31) keys, where the tier comes from the key, not the value. */
      readonly legacyTier?: string;
    }
  | { readonly type: 'profileRules'; readonly name: string }
  | { readonly type: 'profileLabels'; readonly name: string }
  | {
      readonly type: 'workloadEndpoint';
      readonly hostname: string;
      readonly orchestratorId: string;
      readonly workloadId: string;
      readonly endpointId: string;
    }
  | { readonly type: 'hostEndpoint'; readonly hostname: string; readonly endpointId: string }
  | { readonly type: 'networkSet'; readonly name: string }
  | { readonly type: 'ipPool'; readonly cidr: string }
  | { readonly type: 'wireguard'; readonly hostname: string }
  | { readonly type: 'hostIp'; readonly hostname: string }
  | { readonly type: 'block'; readonly cidr: string }
  | { readonly type: 'resource'; readonly plural: string; readonly namespace: string; readonly name: string };

export type KeyType = Key['type'];

/**
 * Legacy policy names encode kind and namespace in one field (libcalico-go/lib/backend/model/policy.go):
 * `<ns>/<name>`, `<ns>/knp.default.<name>`, `<ns>/staged:<name>`, `<ns>/staged:knp.default.<name>`,
 * `staged:<name>`, `kcnp.<name>`, else a GlobalNetworkPolicy.
 */
export function upgradeLegacyPolicyName(tier: string, fullName: string): Key & { type: 'policy' } {
  const slash = fullName.indexOf('/');
  if (slash >= 0) {
    const namespace = fullName.slice(0, slash);
    let name = fullName.slice(slash + 1);
    let staged = false;
    if (name.startsWith('staged:')) {
      staged = true;
      name = name.slice('staged:'.length);
    }
    if (name.startsWith('knp.default.')) {
      name = name.slice('knp.default.'.length);
      return {
        type: 'policy',
        kind: staged ? 'StagedKubernetesNetworkPolicy' : 'KubernetesNetworkPolicy',
        namespace,
        name,
        legacyTier: tier,
      };
    }
    return {
      type: 'policy',
      kind: staged ? 'StagedNetworkPolicy' : 'NetworkPolicy',
      namespace,
      name,
      legacyTier: tier,
    };
  }
  if (fullName.startsWith('staged:')) {
    return {
      type: 'policy',
      kind: 'StagedGlobalNetworkPolicy',
      namespace: '',
      name: fullName.slice(7),
      legacyTier: tier,
    };
  }
  if (fullName.startsWith('kcnp.')) {
    return {
      type: 'policy',
      kind: 'KubernetesClusterNetworkPolicy',
      namespace: '',
      name: fullName.slice(5),
      legacyTier: tier,
    };
  }
  return { type: 'policy', kind: 'GlobalNetworkPolicy', namespace: '', name: fullName, legacyTier: tier };
}

// Names from keys become parts of dataplane identifiers: refuse whitespace and control characters.
// eslint-disable-next-line no-control-regex
const UNSAFE = /[\s\x00-\x1f\x7f]/;

/**
 * Whether a string has whitespace or a control character (the UNSAFE class): a charCode scan over
 * ASCII, the regex only once a non-ASCII character shows up (\s also covers Unicode spaces).
 */
function hasUnsafeChar(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c <= 0x20 || c === 0x7f) return true;
    if (c >= 0x80) return UNSAFE.test(s);
  }
  return false;
}

/**
 * Parses a key path; returns null for keys Felix does not understand (caller logs at debug).
 * A path with whitespace or control characters (before or after unescaping) is refused. Every name
 * in a key is a substring of the path, or one unescaped, which only ever adds '/' and '%': a safe
 * path has safe names, so only the path is scanned here (keyRefusalReason still checks both).
 */
export function parseKey(path: string): Key | null {
  if (typeof path !== 'string' || hasUnsafeChar(path)) return null;
  return parsePath(path);
}

/**
 * Why a key path that names a known resource is refused, or undefined if it is not refused.
 * Names with whitespace or control characters (raw or %-escaped) can never be rendered safely
 * into chain names or restore input, so such keys are dropped; the caller logs this at warn,
 * unlike a merely unknown key (KeyFromDefaultPath returns nil for a path it cannot parse).
 */
export function keyRefusalReason(path: string): string | undefined {
  if (typeof path !== 'string') return 'key is not a string';
  if (UNSAFE.test(path)) return 'key contains whitespace or control characters';
  const k = parsePath(path);
  if (k && hasUnsafeName(k)) return 'a name in the key contains whitespace or control characters';
  return undefined;
}

function hasUnsafeName(k: Key): boolean {
  for (const v of Object.values(k)) if (typeof v === 'string' && UNSAFE.test(v)) return true;
  return false;
}

function parsePath(path: string): Key | null {
  if (path === '/calico/v1/Ready') return { type: 'ready' };
  if (path.startsWith('/calico/resources/v3/projectcalico.org/')) {
    const parts = path.slice('/calico/resources/v3/projectcalico.org/'.length).split('/');
    if (parts.some((p) => p === '')) return null;
    if (parts.length === 2)
      return { type: 'resource', plural: parts[0] as string, namespace: '', name: parts[1] as string };
    if (parts.length === 3)
      return {
        type: 'resource',
        plural: parts[0] as string,
        namespace: parts[1] as string,
        name: parts[2] as string,
      };
    return null;
  }
  if (path.startsWith('/calico/ipam/v2/assignment/')) {
    const m = /^\/calico\/ipam\/v2\/assignment\/ipv[46]\/block\/([^/]+)$/.exec(path);
    return m ? { type: 'block', cidr: (m[1] as string).replace('-', '/') } : null;
  }
  if (!path.startsWith('/calico/v1/')) return null;
  const rest = path.slice('/calico/v1/'.length);
  if (rest.startsWith('config/')) {
    // The config name is the rest of the path, may contain '/', and is not escaped.
    const name = rest.slice('config/'.length);
    return name === '' ? null : { type: 'globalConfig', name };
  }
  const s = rest.split('/');
  const seg = (i: number): string => s[i] as string;
  switch (s[0]) {
    case 'host': {
      if (s.length < 3 || seg(1) === '') return null;
      const hostname = seg(1);
      if (seg(2) === 'config' && s.length >= 4) {
        // The rest of the path after "host/<hostname>/config/", '/' and all.
        const name = rest.slice(hostname.length + 13);
        return name === '' ? null : { type: 'hostConfig', hostname, name };
      }
      if (seg(2) === 'workload' && s.length === 7 && seg(5) === 'endpoint') {
        if (seg(3) === '' || seg(4) === '' || seg(6) === '') return null;
        return {
          type: 'workloadEndpoint',
          hostname,
          orchestratorId: unescapeName(seg(3)),
          workloadId: unescapeName(seg(4)),
          endpointId: unescapeName(seg(6)),
        };
      }
      if (seg(2) === 'endpoint' && s.length === 4 && seg(3) !== '') {
        return { type: 'hostEndpoint', hostname, endpointId: unescapeName(seg(3)) };
      }
      if (s.length === 3 && seg(2) === 'wireguard') return { type: 'wireguard', hostname };
      if (s.length === 3 && seg(2) === 'bird_ip') return { type: 'hostIp', hostname };
      return null;
    }
    case 'policy': {
      if (seg(1) === 'tier') {
        if (s.length === 4 && seg(3) === 'metadata' && seg(2) !== '') return { type: 'tier', name: seg(2) };
        if (s.length === 5 && seg(3) === 'policy' && seg(2) !== '' && seg(4) !== '') {
          return upgradeLegacyPolicyName(seg(2), unescapeName(seg(4)));
        }
        return null;
      }
      if (seg(1) === 'profile') {
        if (s.length !== 4 || seg(2) === '') return null;
        const name = unescapeName(seg(2));
        if (seg(3) === 'rules') return { type: 'profileRules', name };
        if (seg(3) === 'labels') return { type: 'profileLabels', name };
        return null;
      }
      // Modern key (v3.32+): /calico/v1/policy/<Kind>/<Namespace>/<Name>, namespace may be empty.
      if (s.length === 4 && isPolicyKind(seg(1)) && seg(3) !== '') {
        return {
          type: 'policy',
          kind: seg(1) as PolicyKind,
          namespace: unescapeName(seg(2)),
          name: unescapeName(seg(3)),
        };
      }
      return null;
    }
    case 'netset':
      return s.length === 2 && seg(1) !== '' ? { type: 'networkSet', name: unescapeName(seg(1)) } : null;
    case 'ipam': {
      if (s.length === 4 && (seg(1) === 'v4' || seg(1) === 'v6') && seg(2) === 'pool' && seg(3) !== '') {
        return { type: 'ipPool', cidr: seg(3).replace('-', '/') };
      }
      return null;
    }
    default:
      return null;
  }
}

/** Felix's PolicyID short kind for a key (proto PolicyID.kind). */
export function shortPolicyKind(k: PolicyKind): string {
  return POLICY_KINDS[k];
}
