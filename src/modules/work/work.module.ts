import { fileURLToPath } from 'node:url';
import type { SteadfastModule } from '../../platform/module.js';
import type { TenantView } from '../tenancy/index.js';
import { requireWorkActor } from './work.http.js';
import { workJobs } from './work.jobs.js';
import type { OutgoingMail } from '../../platform/mail/mail.js';
import { projectApi } from './work.routes.js';
import type { WorkService } from './work.service.js';
import { taskApi } from './work.task-routes.js';
import { streamApi } from './work.stream-routes.js';
import { attachmentApi } from './work.attachment-routes.js';
import { viewApi } from './work.view-routes.js';
import { notificationApi } from './work.notification-routes.js';
import { recurrenceApi } from './work.recurrence-routes.js';

/** What work needs of the running platform. */
export interface WorkModuleContext {
  readonly work: WorkService;
  readonly tenancy: { list(): Promise<TenantView[]> };
  readonly mail: { send(message: OutgoingMail): Promise<{ id: string }> };
}

/** What a workspace's people work on: projects, workflows, tasks, comments, their history and live board. */
export const workModule: SteadfastModule<WorkModuleContext> = {
  name: 'work',
  migrations: { tenant: fileURLToPath(new URL('./migrations/tenant', import.meta.url)) },
  tenantApi: async (api, { work }) => {
    // A scope of its own: its hook (the signed-in person, before any body is read) is work's alone.
    await api.register(async (scope) => {
      scope.addHook('preParsing', async (request) => requireWorkActor(request));
      projectApi(scope, work);
      taskApi(scope, work);
      streamApi(scope, work);
      await attachmentApi(scope, work);
      viewApi(scope, work);
      notificationApi(scope, work);
      recurrenceApi(scope, work);
    });
  },
  work: ({ work, tenancy, mail }) => workJobs({ work, workspaces: () => tenancy.list(), mail }),
};
