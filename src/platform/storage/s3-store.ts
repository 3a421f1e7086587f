import { Readable } from 'node:stream';
import {
  DeleteObjectCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  S3Client,
  type S3ClientConfig,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { appError } from '../errors.js';
import { measured, type ObjectStore, type StoredObject } from './store.js';

export interface S3StoreOptions {
  readonly bucket: string;
  /** Key prefix inside the bucket, e.g. `steadfast/prod`; empty for the bucket's root. */
  readonly prefix?: string;
  readonly region: string;
  /** An S3-compatible service's address (MinIO, Ceph, another cloud); AWS when unset. */
  readonly endpoint?: string;
  /** Path-style addressing (bucket in the path), which most S3-compatible services need. */
  readonly forcePathStyle?: boolean;
  /** Static credentials; when unset the AWS SDK's usual chain (environment, profile, instance role) is used. */
  readonly accessKeyId?: string;
  readonly secretAccessKey?: string;
  /**
   * How long a connection may take to open, and a request may go without any byte moving,
   * before it fails (and is retried): a repository that hangs fails like one that is down,
   * instead of holding a backup or the WAL pusher forever. Default 10 s and 60 s.
   */
  readonly timeouts?: { readonly connectMs: number; readonly idleMs: number };
}

/**
 * A repository in an S3-compatible bucket. Objects are written with a multipart upload,
 * which S3 makes visible only when complete: a crashed upload leaves no object, only
 * parts the bucket's lifecycle rule for incomplete uploads clears.
 */
export class S3Store implements ObjectStore {
  private readonly client: S3Client;
  private readonly prefix: string;

  constructor(private readonly options: S3StoreOptions) {
    const timeouts = options.timeouts ?? { connectMs: 10_000, idleMs: 60_000 };
    const config: S3ClientConfig = {
      region: options.region,
      endpoint: options.endpoint,
      forcePathStyle: options.forcePathStyle,
      maxAttempts: 3,
      // socketTimeout is an inactivity timeout (it covers response bodies too); requestTimeout would bound a whole upload.
      requestHandler: { connectionTimeout: timeouts.connectMs, socketTimeout: timeouts.idleMs },
    };
    if (options.accessKeyId && options.secretAccessKey)
      config.credentials = { accessKeyId: options.accessKeyId, secretAccessKey: options.secretAccessKey };
    this.client = new S3Client(config);
    this.prefix = options.prefix ? `${options.prefix.replace(/\/+$/, '')}/` : '';
  }

  describe(): string {
    return `s3://${this.options.bucket}/${this.prefix}${this.options.endpoint ? ` at ${this.options.endpoint}` : ''}`;
  }

  async put(key: string, body: AsyncIterable<Buffer>): Promise<StoredObject> {
    const content = measured(body);
    try {
      const upload = new Upload({
        client: this.client,
        params: { Bucket: this.options.bucket, Key: this.prefix + key, Body: Readable.from(content.stream) },
        queueSize: 2,
        partSize: 8 * 1024 * 1024,
        leavePartsOnError: false,
      });
      await upload.done();
    } catch (error) {
      throw this.unavailable(error, `writing ${key}`);
    }
    return content.result(key);
  }

  async *get(key: string): AsyncIterable<Buffer> {
    let body: AsyncIterable<Buffer>;
    try {
      const response = await this.client.send(
        new GetObjectCommand({ Bucket: this.options.bucket, Key: this.prefix + key }),
      );
      body = response.Body as unknown as AsyncIterable<Buffer>;
    } catch (error) {
      if ((error as { name?: string }).name === 'NoSuchKey')
        throw appError('BACKUP_NOT_FOUND', `${key} does not exist in ${this.describe()}.`);
      throw this.unavailable(error, `reading ${key}`);
    }
    try {
      for await (const chunk of body) yield chunk;
    } catch (error) {
      throw this.unavailable(error, `reading ${key}`);
    }
  }

  async list(prefix: string): Promise<StoredObject[]> {
    const objects: StoredObject[] = [];
    let token: string | undefined;
    try {
      do {
        const page = await this.client.send(
          new ListObjectsV2Command({
            Bucket: this.options.bucket,
            Prefix: this.prefix + prefix,
            ContinuationToken: token,
          }),
        );
        for (const object of page.Contents ?? [])
          objects.push({ key: object.Key!.slice(this.prefix.length), bytes: object.Size ?? 0 });
        token = page.IsTruncated ? page.NextContinuationToken : undefined;
      } while (token);
    } catch (error) {
      throw this.unavailable(error, `listing ${prefix}`);
    }
    return objects.sort((a, b) => a.key.localeCompare(b.key));
  }

  async delete(key: string): Promise<void> {
    try {
      await this.client.send(new DeleteObjectCommand({ Bucket: this.options.bucket, Key: this.prefix + key }));
    } catch (error) {
      throw this.unavailable(error, `deleting ${key}`);
    }
  }

  private unavailable(error: unknown, doing: string): Error {
    const reason = (error as Error).message || (error as { name?: string }).name || String(error);
    return appError('REPOSITORY_UNAVAILABLE', `Failed ${doing} in ${this.describe()}: ${reason}.`, { cause: error });
  }
}
