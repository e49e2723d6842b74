// The state: Berth's single DynamoDB table, made from the same TABLE_SCHEMA the store and the
// all-in-one platform use, so the key design never drifts between AWS and here (TableV2, not
// Table, because its stream grants name the stream, where Table's grant ListStreams on "*");
// the KMS key that seals the secrets stored in it (shared/secrets, envelope encryption); and
// the bucket where uploaded build sources wait for their build.
import { CfnOutput, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import { AttributeType, Billing, ProjectionType, StreamViewType, TableV2 } from 'aws-cdk-lib/aws-dynamodb';
import { Grant, type IGrantable } from 'aws-cdk-lib/aws-iam';
import { Key } from 'aws-cdk-lib/aws-kms';
import type { Construct } from 'constructs';
import { TABLE_SCHEMA } from '../../shared/store/keys.ts';
import { SourcesBucket } from '../constructs/sources-bucket.ts';

/** The encryption context every data key is bound to (KmsSecretBox's default). */
export const SECRETS_CONTEXT = { 'berth:purpose': 'secrets' };

export class StateStack extends Stack {
  readonly table: TableV2;
  readonly secretsKey: Key;
  readonly sources: SourcesBucket;

  constructor(scope: Construct, id: string, props?: StackProps) {
    super(scope, id, props);
    const key = (name: string) => ({ name, type: AttributeType.STRING });
    this.table = new TableV2(this, 'Table', {
      partitionKey: key(TABLE_SCHEMA.partitionKey),
      sortKey: key(TABLE_SCHEMA.sortKey),
      billing: Billing.onDemand(),
      dynamoStream: StreamViewType[TABLE_SCHEMA.stream],
      timeToLiveAttribute: TABLE_SCHEMA.ttlAttribute,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      deletionProtection: true,
      // The table outlives the stack: `cdk destroy` never takes the platform's state with it.
      removalPolicy: RemovalPolicy.RETAIN,
      globalSecondaryIndexes: [{
        indexName: TABLE_SCHEMA.index.name,
        partitionKey: key(TABLE_SCHEMA.index.partitionKey),
        sortKey: key(TABLE_SCHEMA.index.sortKey),
        projectionType: ProjectionType.ALL,
      }],
    });
    this.secretsKey = new Key(this, 'SecretsKey', {
      description: 'Berth sealed secrets: wraps the data keys of shared/secrets KmsSecretBox',
      enableKeyRotation: true,
      // Without the key, every secret sealed in the table is lost: it goes only by hand.
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.sources = new SourcesBucket(this, 'Sources');
    // All three outlive `cdk destroy`; docs/aws.md shows how to remove them by these names.
    new CfnOutput(this, 'TableName', { value: this.table.tableName });
    new CfnOutput(this, 'SecretsKeyArn', { value: this.secretsKey.keyArn });
    new CfnOutput(this, 'SourcesBucketName', { value: this.sources.bucket.bucketName });
  }

  /** Seal and open secrets: a data key or its decryption, only with Berth's encryption context. */
  grantSecrets(grantee: IGrantable, actions: ('kms:GenerateDataKey' | 'kms:Decrypt')[] = ['kms:GenerateDataKey', 'kms:Decrypt']): Grant {
    return Grant.addToPrincipal({
      grantee,
      actions,
      resourceArns: [this.secretsKey.keyArn],
      conditions: { StringEquals: Object.fromEntries(Object.entries(SECRETS_CONTEXT).map(([k, v]) => [`kms:EncryptionContext:${k}`, v])) },
    });
  }
}
