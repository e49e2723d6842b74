// The S3 SourceArchives' requests, exactly: one encrypted PutObject of known length per upload
// (none for an upload over the limit), GetObject as a stream (none there is undefined, not an
// error), DeleteObject; all under sources/<project>/<build>.tar.
import { DeleteObjectCommand, GetObjectCommand, NoSuchKey, PutObjectCommand, S3Client, S3ServiceException } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { Readable } from 'node:stream';
import { text } from 'node:stream/consumers';
import { beforeEach, describe, expect, it } from 'vitest';
import { S3SourceArchives } from '../../shared/aws/s3-sources.ts';

const BUCKET = 'berth-state-sourcesbucket-1a2b3c';
const BUILD = { kind: 'Build', project: 'demo', name: 'hello-4' };
const s3 = mockClient(S3Client);
const archives = () => new S3SourceArchives({ client: new S3Client({ region: 'eu-west-1' }), bucket: BUCKET });
const inputs = (command: Parameters<typeof s3.commandCalls>[0]) => s3.commandCalls(command).map((c) => c.args[0].input);
/** An upload arriving in pieces, as a request body does. */
const upload = (...pieces: string[]) => Readable.from(pieces.map((p) => Buffer.from(p)));

beforeEach(() => s3.reset());

describe('S3SourceArchives.put', () => {
  it('sends the whole archive in one PutObject with its length, as a tar, encrypted with S3-managed keys', async () => {
    s3.on(PutObjectCommand).resolves({});
    await archives().put(BUILD, upload('tar ', 'bytes ', 'here'), 1024);
    expect(inputs(PutObjectCommand)).toEqual([{
      Bucket: BUCKET,
      Key: 'sources/demo/hello-4.tar',
      Body: Buffer.from('tar bytes here'),
      ContentLength: 14,
      ContentType: 'application/x-tar',
      ServerSideEncryption: 'AES256',
    }]);
  });

  it('accepts an archive of exactly the limit', async () => {
    s3.on(PutObjectCommand).resolves({});
    await archives().put(BUILD, upload('12345', '67890'), 10);
    expect(inputs(PutObjectCommand)[0]!.ContentLength).toBe(10);
  });

  it('refuses an archive over the limit with 413 and sends nothing', async () => {
    const body = upload('12345', '67890', '!');
    await expect(archives().put(BUILD, body, 10)).rejects.toMatchObject({ status: 413, code: 'PayloadTooLarge', message: 'the source archive is larger than 10 bytes' });
    expect(s3.calls()).toEqual([]);
    expect(body.destroyed).toBe(true);
  });

  it('uses a KMS key when told to', async () => {
    s3.on(PutObjectCommand).resolves({});
    await new S3SourceArchives({ client: new S3Client({ region: 'eu-west-1' }), bucket: BUCKET, serverSideEncryption: 'aws:kms' }).put(BUILD, upload('x'), 10);
    expect(inputs(PutObjectCommand)[0]!.ServerSideEncryption).toBe('aws:kms');
  });
});

describe('S3SourceArchives.get', () => {
  it('returns the object body as a stream', async () => {
    // In Node the SDK's body is an IncomingMessage: a Readable with helpers mixed in.
    s3.on(GetObjectCommand).resolves({ Body: Readable.from([Buffer.from('the archive')]) as never });
    const stream = await archives().get(BUILD);
    expect(await text(stream as Readable)).toBe('the archive');
    expect(inputs(GetObjectCommand)).toEqual([{ Bucket: BUCKET, Key: 'sources/demo/hello-4.tar' }]);
  });

  it('returns undefined when there is no such archive', async () => {
    s3.on(GetObjectCommand).rejects(new NoSuchKey({ message: 'The specified key does not exist.', $metadata: { httpStatusCode: 404 } }));
    expect(await archives().get(BUILD)).toBeUndefined();
  });

  it('passes any other failure on (access denied is not "missing")', async () => {
    s3.on(GetObjectCommand).rejects(new S3ServiceException({ name: 'AccessDenied', $fault: 'client', message: 'Access Denied', $metadata: { httpStatusCode: 403 } }));
    await expect(archives().get(BUILD)).rejects.toThrow('Access Denied');
  });
});

describe('S3SourceArchives.delete', () => {
  it('deletes the build\'s object (S3 answers a missing key with success too)', async () => {
    s3.on(DeleteObjectCommand).resolves({});
    await archives().delete(BUILD);
    await archives().delete(BUILD);
    expect(inputs(DeleteObjectCommand)).toEqual([
      { Bucket: BUCKET, Key: 'sources/demo/hello-4.tar' },
      { Bucket: BUCKET, Key: 'sources/demo/hello-4.tar' },
    ]);
  });
});
