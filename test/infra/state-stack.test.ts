// The state stack: one on-demand table with stream, TTL, PITR and deletion protection, made
// from TABLE_SCHEMA, and proved identical in keys to the table the all-in-one platform makes
// in DynamoDB Local.
import { DescribeTableCommand, DescribeTimeToLiveCommand } from '@aws-sdk/client-dynamodb';
import { Match, type Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { TABLE_SCHEMA } from '../../shared/store/keys.ts';
import { freshTable } from '../support/dynamo.ts';
import { resourcesOf, synthBerth } from './synth.ts';

let template: Template;
beforeAll(() => {
  template = synthBerth().templates.state;
});

describe('state stack', () => {
  it('makes exactly one table, billed on demand, with the store\'s keys and index', () => {
    template.resourceCountIs('AWS::DynamoDB::GlobalTable', 1);
    template.hasResourceProperties('AWS::DynamoDB::GlobalTable', {
      BillingMode: 'PAY_PER_REQUEST',
      KeySchema: [
        { AttributeName: TABLE_SCHEMA.partitionKey, KeyType: 'HASH' },
        { AttributeName: TABLE_SCHEMA.sortKey, KeyType: 'RANGE' },
      ],
      GlobalSecondaryIndexes: [{
        IndexName: TABLE_SCHEMA.index.name,
        KeySchema: [
          { AttributeName: TABLE_SCHEMA.index.partitionKey, KeyType: 'HASH' },
          { AttributeName: TABLE_SCHEMA.index.sortKey, KeyType: 'RANGE' },
        ],
        Projection: { ProjectionType: 'ALL' },
      }],
    });
  });

  it('streams new and old images and expires items by the ttl attribute', () => {
    template.hasResourceProperties('AWS::DynamoDB::GlobalTable', {
      StreamSpecification: { StreamViewType: 'NEW_AND_OLD_IMAGES' },
      TimeToLiveSpecification: { AttributeName: TABLE_SCHEMA.ttlAttribute, Enabled: true },
    });
  });

  it('keeps the data: point-in-time recovery, deletion protection, retained when the stack goes', () => {
    template.hasResourceProperties('AWS::DynamoDB::GlobalTable', {
      Replicas: [Match.objectLike({ PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true }, DeletionProtectionEnabled: true })],
    });
    template.hasResource('AWS::DynamoDB::GlobalTable', { DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' });
  });

  it('makes a rotating KMS key for sealed secrets, kept when the stack goes', () => {
    template.hasResourceProperties('AWS::KMS::Key', { EnableKeyRotation: true });
    template.hasResource('AWS::KMS::Key', { DeletionPolicy: 'Retain' });
  });

  it('has the same keys, index and stream as the table `npm run up` makes in DynamoDB Local', async () => {
    const local = await freshTable();
    const { Table: t } = await local.client.send(new DescribeTableCommand({ TableName: local.tableName }));
    const ttl = await local.client.send(new DescribeTimeToLiveCommand({ TableName: local.tableName }));
    const [, cdk] = resourcesOf(template, 'AWS::DynamoDB::GlobalTable')[0]!;
    const sortBy = <T extends { AttributeName?: string }>(xs: T[]) => [...xs].sort((a, b) => String(a.AttributeName).localeCompare(String(b.AttributeName)));

    expect(sortBy(cdk.AttributeDefinitions as { AttributeName: string }[])).toEqual(sortBy(t!.AttributeDefinitions!));
    expect(cdk.KeySchema).toEqual(t!.KeySchema);
    const [index] = cdk.GlobalSecondaryIndexes as { IndexName: string; KeySchema: unknown; Projection: unknown }[];
    const localIndex = t!.GlobalSecondaryIndexes![0]!;
    expect({ name: index!.IndexName, keys: index!.KeySchema, projection: index!.Projection })
      .toEqual({ name: localIndex.IndexName, keys: localIndex.KeySchema, projection: { ProjectionType: localIndex.Projection!.ProjectionType } });
    expect((cdk.StreamSpecification as { StreamViewType: string }).StreamViewType).toBe(t!.StreamSpecification!.StreamViewType);
    expect((cdk.TimeToLiveSpecification as { AttributeName: string }).AttributeName).toBe(ttl.TimeToLiveDescription?.AttributeName);
  });
});
