// The AWS SourceArchives: uploaded build sources (`start-build --from-dir`) as S3 objects
// `sources/<project>/<build>.tar`, encrypted at rest, expired by the bucket's lifecycle rule.
// The upload is buffered up to its size limit and sent with one PutObject of known length: on
// AWS it arrives through API Gateway and Lambda, which cap a request at a few MB, far below
// what would make a multipart upload (and @aws-sdk/lib-storage) worth it.
import { DeleteObjectCommand, GetObjectCommand, NoSuchKey, PutObjectCommand, type S3Client, type ServerSideEncryption } from '@aws-sdk/client-s3';
import type { Readable } from 'node:stream';
import { UploadTooLargeError } from '../builds/upload-limit.ts';
import type { ObjectRef } from '../model/types.ts';
import type { SourceArchives } from '../builds/ports.ts';

export const SOURCES_PREFIX = 'sources/';

export interface S3SourceArchivesOptions {
  client: S3Client;
  bucket: string;
  /** `AES256` (S3-managed keys, the default) or `aws:kms`. */
  serverSideEncryption?: ServerSideEncryption;
}

/** The object key of a build's source archive. */
export const sourceKey = (build: ObjectRef): string => `${SOURCES_PREFIX}${build.project}/${build.name}.tar`;

export class S3SourceArchives implements SourceArchives {
  constructor(private readonly opts: S3SourceArchivesOptions) {}

  /** Stores the archive; one larger than `maxBytes` is refused (413) and nothing is stored. */
  async put(build: ObjectRef, archive: NodeJS.ReadableStream, maxBytes: number): Promise<void> {
    const body = await readUpTo(archive, maxBytes);
    await this.opts.client.send(
      new PutObjectCommand({
        Bucket: this.opts.bucket,
        Key: sourceKey(build),
        Body: body,
        ContentLength: body.length,
        ContentType: 'application/x-tar',
        ServerSideEncryption: this.opts.serverSideEncryption ?? 'AES256',
      }),
    );
  }

  /** The archive as a stream, or undefined when there is none (never uploaded, expired, deleted). */
  async get(build: ObjectRef): Promise<NodeJS.ReadableStream | undefined> {
    try {
      const out = await this.opts.client.send(new GetObjectCommand({ Bucket: this.opts.bucket, Key: sourceKey(build) }));
      return out.Body as Readable | undefined;
    } catch (err) {
      if (err instanceof NoSuchKey) return undefined;
      throw err;
    }
  }

  /** Removes the archive; S3 answers a delete of a missing key with success, so this is idempotent. */
  async delete(build: ObjectRef): Promise<void> {
    await this.opts.client.send(new DeleteObjectCommand({ Bucket: this.opts.bucket, Key: sourceKey(build) }));
  }
}

async function readUpTo(stream: NodeJS.ReadableStream, maxBytes: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream) {
    const buf = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    size += buf.length;
    if (size > maxBytes) {
      (stream as Partial<Readable>).destroy?.();
      throw new UploadTooLargeError(maxBytes);
    }
    chunks.push(buf);
  }
  return Buffer.concat(chunks, size);
}
