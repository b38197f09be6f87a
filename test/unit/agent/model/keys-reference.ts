// The key parser as it was before the charCode fast paths (issue 15 item 2), kept as the reference
// that test/unit/agent/model/keys-fuzz.test.ts compares the current parser with.
import {
  isPolicyKind,
  upgradeLegacyPolicyName,
  type Key,
  type PolicyKind,
} from '../../../../agent/model/index.js';

const unescapeName = (s: string): string => s.replace(/%2f/g, '/').replace(/%25/g, '%');

// Names from keys become parts of dataplane identifiers: refuse whitespace and control characters.
// eslint-disable-next-line no-control-regex
const UNSAFE = /[\s\x00-\x1f\x7f]/;

/**
 * Parses a key path; returns null for keys Felix does not understand (caller logs at debug).
 * A path with whitespace or control characters (before or after unescaping) is refused.
 */
export function referenceParseKey(path: string): Key | null {
  if (typeof path !== 'string' || UNSAFE.test(path)) return null;
  const k = parsePath(path);
  if (k && hasUnsafeName(k)) return null;
  return k;
}

/**
 * Why a key path that names a known resource is refused, or undefined if it is not refused.
 * Names with whitespace or control characters (raw or %-escaped) can never be rendered safely
 * into chain names or restore input, so such keys are dropped; the caller logs this at warn,
 * unlike a merely unknown key (KeyFromDefaultPath returns nil for a path it cannot parse).
 */
export function referenceKeyRefusalReason(path: string): string | undefined {
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
        const name = s.slice(3).join('/');
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
