// Public surface of the dataplane writers (the compiler exports its own from rules/compiler).
export * from './backend/index.js';
export * from './iptables/index.js';
export * from './ipsets/index.js';
export * from './driver/index.js';
