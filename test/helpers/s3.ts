import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import S3rver from 's3rver';
import { S3Store, type S3StoreOptions } from '../../src/platform/storage/s3-store.js';

/** A fake S3 (s3rver) on a free loopback port, with one bucket, and a store factory for it. */
export async function startFakeS3(bucket = 'backups'): Promise<{
  endpoint: string;
  /** A store on the bucket; `at` another endpoint in front of it (a proxy), with `timeouts`. */
  store(prefix?: string, through?: { endpoint: string; timeouts: S3StoreOptions['timeouts'] }): S3Store;
  stop(): Promise<void>;
}> {
  const directory = await mkdtemp(path.join(tmpdir(), 'steadfast-s3-'));
  const server = new S3rver({
    port: 0,
    address: '127.0.0.1',
    silent: true,
    directory,
    configureBuckets: [{ name: bucket }],
  });
  const { port } = await server.run();
  const endpoint = `http://127.0.0.1:${port}`;
  return {
    endpoint,
    store: (prefix = 'steadfast', through) =>
      new S3Store({
        bucket,
        prefix,
        region: 'us-east-1',
        endpoint: through?.endpoint ?? endpoint,
        ...(through ? { timeouts: through.timeouts } : {}),
        forcePathStyle: true,
        accessKeyId: 'S3RVER',
        secretAccessKey: 'S3RVER',
      }),
    async stop() {
      await server.close();
      await rm(directory, { recursive: true, force: true });
    },
  };
}
