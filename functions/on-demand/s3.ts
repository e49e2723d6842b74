// Uploaded build sources in S3 and the S3 client, loaded by the first upload, read or delete of a
// source archive (functions/wire-builds.ts): only binary builds use them.
import { S3Client } from '@aws-sdk/client-s3';
import { S3SourceArchives } from '../../shared/aws/s3-sources.ts';

export const s3SourceArchives = (region: string | undefined, bucket: string): S3SourceArchives => new S3SourceArchives({ client: new S3Client({ region }), bucket });
