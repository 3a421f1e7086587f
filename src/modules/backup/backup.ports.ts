import type { ObjectStore } from '../../platform/storage/store.js';
import type { RetentionPolicy } from './backup.retention.js';

/** A place backups and archived WAL are kept, by name (the configured repositories). */
export interface Repository {
  readonly name: string;
  readonly store: ObjectStore;
  /** Default: 7 daily, 4 weekly, 3 monthly. */
  readonly retention?: RetentionPolicy;
}
