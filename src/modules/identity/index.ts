/** Identity: a workspace's people, their sign-in and sessions, its audit log. */
export { identityModule, type IdentityModuleContext } from './identity.module.js';
export { IdentityService, type IdentityServiceDeps, type UserView } from './identity.service.js';
export { verifyAuditChain } from './identity.audit.js';
export type { Role } from './identity.tables.js';
export { StaffService, setupLinkHours, type StaffView } from './identity.staff.js';
export { SupportService, type GrantView } from './identity.support.js';
