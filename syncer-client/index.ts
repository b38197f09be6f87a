// Public surface of syncer-client/: the API contract, the syncproto codec, the client and the test server.
export * from './api.js';
export * as syncproto from './syncproto/index.js';
export * from './client/index.js';
export * from './server/index.js';
