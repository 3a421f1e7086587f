import type { Kysely } from 'kysely';
import type { TenantTables } from '../../platform/db/schema.js';

/** Runs work against an active workspace's database, as the workspace's own role (TenancyService.withDatabase). */
export type TenantDatabases = <R>(slug: string, work: (db: Kysely<TenantTables>) => Promise<R>) => Promise<R>;

/** The workspace as mail and authenticator apps name it. */
export interface Workspace {
  readonly name: string;
  /** Its address, e.g. https://acme.example.com */
  readonly url: string;
}
