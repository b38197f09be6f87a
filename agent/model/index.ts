// Public surface of the data model: keys, values and their validation (libcalico-go/lib/backend/model).
export { escapeName, unescapeName } from './escape.js';
export {
  parseKey,
  keyRefusalReason,
  upgradeLegacyPolicyName,
  isPolicyKind,
  isStagedKind,
  shortPolicyKind,
  POLICY_KINDS,
  type Key,
  type KeyType,
  type PolicyKind,
} from './keys.js';
export * from './values.js';
export { qosControlsOf, type QosResult } from './validate.js';
export * from './k8s.js';
export { decodeValue, ValueDecodeError, type DecodeResult, type ValueOf } from './decode.js';
export { isPlainIPv4Cidr } from './fast-decode.js';
// One IP/CIDR parser for the whole agent: the compiler's (rules may not import agent, agent may
// import rules).
export {
  parseCidr,
  parseIp,
  normalizeCidr,
  hostCidrOf,
  addressOf,
  cidrFamily,
  formatIp,
  type ParsedCidr,
} from '../../rules/compiler/ipaddr.js';
