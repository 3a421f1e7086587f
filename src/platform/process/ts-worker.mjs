// The entry of every worker thread of ours: registers tsx (the process's own registration, in
// bin/steadfast.js or `node --import tsx`, does not reach worker threads started with a file
// URL), then runs the TypeScript module named in workerData.module. Plain JavaScript for that reason.
import { workerData } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

if (workerData.module.endsWith('.ts')) register();
await import(workerData.module);
