// Profiling parameters (felix/config/config_params.go v3.32.1), spread into PARAMS (params.ts).
// Used by agent/daemon/profiles.ts.
import { str } from './values.js';
import type { ParamDef } from './params.js';

export const DEBUG_PARAMS = {
  DebugMemoryProfilePath: {
    schema: str(),
    default: '',
    doc: 'SIGUSR1 writes a V8 heap snapshot here ("<timestamp>" is replaced); empty: SIGUSR1 only logs.',
  } as ParamDef<string>,
  DebugCPUProfilePath: {
    schema: str(),
    default: '/tmp/felix-cpu-<timestamp>.pprof',
    doc: 'SIGUSR2 writes a 10 s V8 CPU profile here ("<timestamp>" is replaced); empty: SIGUSR2 only logs.',
  } as ParamDef<string>,
};
