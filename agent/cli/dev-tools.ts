// The development tools (tools/: the demo, the development PKI) are not part of a production
// install: the container image and `npm ci --omit=dev` carry neither dist/tools nor node-forge.
// The CLI loads them on demand and says so plainly when they are absent.
import type { Io } from './commands.js';

export class DevToolMissing extends Error {}

export async function loadDevTool<T>(what: string, load: () => Promise<T>): Promise<T> {
  try {
    return await load();
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') {
      throw new DevToolMissing(
        `felix-ts: '${what}' is a development tool and is not in this install ` +
          `(it needs the full dependencies, npm ci, and the built dist/tools): ${(e as Error).message}`,
      );
    }
    throw e;
  }
}

/** Runs a dev-tool command, turning a missing tool into exit 2 with the reason. */
export async function withDevTool(io: Io, run: () => Promise<number>): Promise<number> {
  try {
    return await run();
  } catch (e) {
    if (e instanceof DevToolMissing) {
      io.err.write(`${e.message}\n`);
      return 2;
    }
    throw e;
  }
}
