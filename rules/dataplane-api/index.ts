export * from './types.js';
export { encodeToDataplane, decodeToDataplane, encodeRecording, decodeRecording } from './codec.js';
