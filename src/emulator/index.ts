// The TeraBox emulator: a real HTTP server speaking TeraBox's web API, for tests, benchmarks and
// `npm start` without a cookie.

export { startEmulator } from './server.js';
export { DEFAULT_KNOBS, ENDPOINT_NAMES } from './knobs.js';
export type {
  AccountOptions,
  DownloadRecord,
  EmulatorEntry,
  EmulatorHandle,
  EmulatorKnobs,
  EmulatorOptions,
  EmulatorStats,
  EndpointName,
  EndpointStats,
  FaultRates,
} from './types.js';
