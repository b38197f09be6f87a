// Locations of the compiled programs the suite drives (this file compiles to dist/test/e2e/).
import { fileURLToPath } from 'node:url';

const distRoot = new URL('../../', import.meta.url);

/** The agent's CLI as shipped (scripts/bundle.mjs), run as `node <agentMain> run` (README). */
export const agentMain = fileURLToPath(new URL('bundle/felix-ts.js', distRoot));
/** The Typha-protocol test server CLI. */
export const typhaServerCli = fileURLToPath(new URL('tools/typha-server/cli.js', distRoot));
