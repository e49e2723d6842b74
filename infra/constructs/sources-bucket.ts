// Where uploaded build sources wait for their build (`start-build --from-dir`): an S3 bucket
// holding only `sources/<project>/<build>.tar` (shared/aws/s3-sources.ts), private, encrypted,
// TLS only, each object gone after a week. The grants split the work: the API uploads, the
// builder reads, the reconcilers delete, each only under sources/.
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { Grant, type IGrantable } from 'aws-cdk-lib/aws-iam';
import { BlockPublicAccess, Bucket, BucketEncryption, ObjectOwnership } from 'aws-cdk-lib/aws-s3';
import { NagSuppressions } from 'cdk-nag';
import { Construct } from 'constructs';
import { SOURCES_PREFIX } from '../../shared/aws/s3-sources.ts';

/** Days an uploaded source is kept: a build starts within seconds; a week covers retries and inspection. */
export const SOURCES_EXPIRE_DAYS = 7;

export class SourcesBucket extends Construct {
  readonly bucket: Bucket;

  constructor(scope: Construct, id: string) {
    super(scope, id);
    this.bucket = new Bucket(this, 'Bucket', {
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      objectOwnership: ObjectOwnership.BUCKET_OWNER_ENFORCED,
      encryption: BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      lifecycleRules: [{
        id: 'expire-uploaded-sources',
        prefix: SOURCES_PREFIX,
        expiration: Duration.days(SOURCES_EXPIRE_DAYS),
        abortIncompleteMultipartUploadAfter: Duration.days(1),
      }],
      // Emptying a bucket on delete takes a custom-resource function; a week-old upload is not
      // worth one. `cdk destroy` leaves the bucket; docs/aws.md removes it with the table.
      removalPolicy: RemovalPolicy.RETAIN,
    });
    NagSuppressions.addResourceSuppressions(this.bucket, [{
      id: 'AwsSolutions-S1',
      reason: 'Objects are short-lived build inputs written only by the API function (every upload is in the API access log and the Build it starts names the user) and read only by builder tasks; server access logs would need a second bucket and record nothing more.',
    }]);
  }

  private objects(): string {
    return this.bucket.arnForObjects(`${SOURCES_PREFIX}*`);
  }

  /** The API: store an upload. */
  grantUpload(grantee: IGrantable): Grant {
    return Grant.addToPrincipal({ grantee, actions: ['s3:PutObject'], resourceArns: [this.objects()] });
  }

  /**
   * The builder: read an upload. ListBucket (this bucket only, which holds nothing but sources)
   * makes S3 answer a missing object with 404 rather than 403, so an expired upload reads as
   * "no uploaded source", not as a permission error.
   */
  grantRead(grantee: IGrantable): void {
    Grant.addToPrincipal({ grantee, actions: ['s3:GetObject'], resourceArns: [this.objects()] });
    Grant.addToPrincipal({ grantee, actions: ['s3:ListBucket'], resourceArns: [this.bucket.bucketArn] });
  }

  /** The reconcilers: remove the upload of a deleted build. */
  grantDelete(grantee: IGrantable): Grant {
    return Grant.addToPrincipal({ grantee, actions: ['s3:DeleteObject'], resourceArns: [this.objects()] });
  }
}
