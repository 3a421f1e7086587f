/** Work: a workspace's projects, workflows, tasks, comments and their history. */
export { workModule, type WorkModuleContext } from './work.module.js';
export { WorkService, type WorkServiceDeps } from './work.service.js';
