// The state: Berth's single DynamoDB table, made from the same TABLE_SCHEMA the store and the
// all-in-one platform use, so the key design never drifts between AWS and here. TableV2 (not
// Table) because its stream grants name the stream, where Table's grant ListStreams on "*".
import { RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import { AttributeType, Billing, ProjectionType, StreamViewType, TableV2 } from 'aws-cdk-lib/aws-dynamodb';
import type { Construct } from 'constructs';
import { TABLE_SCHEMA } from '../../shared/store/keys.ts';

export class StateStack extends Stack {
  readonly table: TableV2;

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
  }
}
