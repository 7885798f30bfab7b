// Starts a worker thread on one of the project's modules, from either form the project runs in:
// compiled JavaScript (dist/, what users run) or the TypeScript sources run through tsx (`node
// --import tsx`: development, the test runner and the processes tests spawn). Node 20 does not carry
// tsx's loader hooks into worker threads, so from sources the worker registers tsx itself before
// loading its .ts entry.

import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';

/**
 * The ESM entry of tsx's register API, from tsx's own exports map. Resolved with createRequire
 * because test runners may load these sources as CommonJS, where import.meta.resolve is missing.
 */
function tsxRegisterUrl(from: string): string {
  const require = createRequire(from);
  const pkgFile = require.resolve('tsx/package.json');
  const pkg = require(pkgFile) as { exports: Record<string, { import: { default: string } } | undefined> };
  const entry = pkg.exports['./esm/api']?.import.default;
  if (entry === undefined) throw new Error(`${pkgFile} exports no "./esm/api" (a tsx this code does not know)`);
  return pathToFileURL(join(dirname(pkgFile), entry)).href;
}

/**
 * A worker running the module `name` (e.g. `./hash-worker`) next to `caller` (the caller's
 * import.meta.url), compiled or from sources like the caller itself.
 */
export function startModuleWorker(name: string, caller: string): Worker {
  if (!caller.endsWith('.ts')) return new Worker(new URL(`${name}.js`, caller));
  const tsx = JSON.stringify(tsxRegisterUrl(caller));
  const entry = JSON.stringify(new URL(`${name}.ts`, caller).href);
  return new Worker(`import(${tsx}).then((m) => { m.register(); return import(${entry}); })`, { eval: true });
}
