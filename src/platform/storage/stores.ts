import type { RepositoryConfig } from '../config/config.js';
import { FsStore } from './fs-store.js';
import { S3Store } from './s3-store.js';
import { SftpStore } from './sftp-store.js';
import type { ObjectStore } from './store.js';

/** The object store a configured repository is: a directory, an SFTP server or an S3 bucket. */
export function objectStoreOf(repository: RepositoryConfig): ObjectStore {
  if (repository.type === 'fs') return new FsStore(repository.path);
  if (repository.type === 'sftp') return new SftpStore(repository);
  return new S3Store(repository);
}
