// Public surface of syncer-client/: the API contract, the syncproto codec and the client.
// (The Typha-protocol test server lives in tools/typha-server: it is a test and demo tool.)
export * from './api.js';
export * as syncproto from './syncproto/index.js';
export * from './client/index.js';
