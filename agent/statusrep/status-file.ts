// The endpoint status file of Felix v3.32.1 (libcalico-go/lib/epstatusfile/status_file_writer.go,
// libcalico-go/lib/names/workloadendpointstatus.go, felix/proto/protoconv/proto_utils.go): one file per
// workload endpoint whose policy is programmed, in <EndpointStatusPathPrefix>/endpoint-status, named
// "<orchestrator> <workload> <endpoint>" (each part url.PathEscape'd, so "k8s ns%2Fpod eth0") and holding
// the JSON of WorkloadEndpointStatus. The CNI plugin waits for that name (cni-plugin/pkg/wait/wait.go).
import type { WorkloadEndpoint, WorkloadEndpointID } from '../../rules/dataplane-api/types.js';

/** The directory under EndpointStatusPathPrefix (epstatusfile dirStatus). */
export const STATUS_DIR = 'endpoint-status';

const HEX = '0123456789ABCDEF';
/** ASCII bytes PathEscape keeps as they are. */
const KEEP = new Uint8Array(128);
for (const c of 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.~$&+:=@')
  KEEP[c.charCodeAt(0)] = 1;

/**
 * Go's url.PathEscape (net/url shouldEscape in encodePathSegment mode): ASCII letters, digits and
 * `-_.~$&+:=@` stay; every other byte of the UTF-8 form is %XX (upper-case hex), '/', ';', ',', '?' included.
 */
export function goPathEscape(s: string): string {
  let out = '';
  let ascii = true;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 128) {
      ascii = false;
      break;
    }
    out += KEEP[c] ? s[i] : `%${HEX[c >> 4]}${HEX[c & 15]}`;
  }
  if (ascii) return out;
  out = '';
  for (const b of Buffer.from(s, 'utf8')) {
    out += b < 128 && KEEP[b] ? String.fromCharCode(b) : `%${HEX[b >> 4]}${HEX[b & 15]}`;
  }
  return out;
}

/** names.WorkloadEndpointKeyToStatusFilename: the parts joined by a space (which PathEscape always escapes). */
export function statusFilename(id: WorkloadEndpointID): string {
  return [id.orchestratorId, id.workloadId, id.endpointId].map(goPathEscape).join(' ');
}

/** epstatusfile.WorkloadEndpointStatus; empty fields are left out (omitempty). */
export interface WorkloadEndpointStatus {
  readonly ifaceName?: string;
  readonly mac?: string;
  readonly ipv4Nets?: readonly string[];
  readonly ipv6Nets?: readonly string[];
  readonly bgpPeerName?: string;
}

/** protoconv.WorkloadEndpointToWorkloadEndpointStatus (felix-ts sends no LocalBgpPeer: no bgpPeerName). */
export function endpointStatus(ep: WorkloadEndpoint): WorkloadEndpointStatus {
  return {
    ifaceName: ep.name,
    ...(ep.mac ? { mac: ep.mac } : {}),
    ipv4Nets: ep.ipv4Nets,
    ipv6Nets: ep.ipv6Nets,
  };
}

/** Go's json.Marshal of the struct: its field order, omitempty, no spaces, <>& escaped as Go does. */
export function renderStatus(s: WorkloadEndpointStatus): string {
  const o: Record<string, unknown> = {};
  if (s.ifaceName) o.ifaceName = s.ifaceName;
  if (s.mac) o.mac = s.mac;
  if (s.ipv4Nets && s.ipv4Nets.length > 0) o.ipv4Nets = s.ipv4Nets;
  if (s.ipv6Nets && s.ipv6Nets.length > 0) o.ipv6Nets = s.ipv6Nets;
  if (s.bgpPeerName) o.bgpPeerName = s.bgpPeerName;
  return JSON.stringify(o).replace(
    /[<>&\u2028\u2029]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

/**
 * A file's content as the status it holds, re-rendered, so that a file is compared by value as Felix's
 * delta tracker does (unknown fields ignored, unreadable JSON = the empty status).
 */
export function normaliseStatusText(text: string): string {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    v = {};
  }
  const o = typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
  const str = (x: unknown): string | undefined => (typeof x === 'string' ? x : undefined);
  const list = (x: unknown): string[] | undefined =>
    Array.isArray(x) && x.every((e) => typeof e === 'string') ? (x as string[]) : undefined;
  const s: WorkloadEndpointStatus = {
    ...(str(o.ifaceName) !== undefined ? { ifaceName: str(o.ifaceName) } : {}),
    ...(str(o.mac) !== undefined ? { mac: str(o.mac) } : {}),
    ...(list(o.ipv4Nets) ? { ipv4Nets: list(o.ipv4Nets) } : {}),
    ...(list(o.ipv6Nets) ? { ipv6Nets: list(o.ipv6Nets) } : {}),
    ...(str(o.bgpPeerName) !== undefined ? { bgpPeerName: str(o.bgpPeerName) } : {}),
  };
  return renderStatus(s);
}
