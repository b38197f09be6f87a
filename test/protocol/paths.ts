// Locations in the source tree (tests run from dist/, fixtures live in the source tree).
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';

/** dist/test/protocol/paths.js → the repository root. */
export const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
export const FIXTURES = join(REPO_ROOT, 'test', 'protocol', 'fixtures');
export const GO_TOOL_SRC = join(REPO_ROOT, 'test', 'protocol', 'go');
