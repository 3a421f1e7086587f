import { Worker, type ResourceLimits } from 'node:worker_threads';

/**
 * Starts a worker thread running the TypeScript (or JavaScript) module at `module`; the
 * module reads `workerData.data` and talks to its parent through `parentPort`.
 */
export function startWorker(module: URL, data: unknown, resourceLimits?: ResourceLimits): Worker {
  return new Worker(new URL('./ts-worker.mjs', import.meta.url), {
    workerData: { module: module.href, data },
    ...(resourceLimits ? { resourceLimits } : {}),
  });
}
