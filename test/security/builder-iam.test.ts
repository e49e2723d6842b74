// Attack, on AWS: a tenant's build (code the tenant wrote, running in the builder task) uses the
// task's credentials to read or write what is not its own — another project's objects and
// secrets in the table, another build's log, another project's uploaded source or images, the
// platform's builder images. The synthesised IAM policies are evaluated offline with
// @cloud-copilot/iam-simulate (AWS's policy evaluation logic: identity policies, conditions with
// policy variables, multi-valued keys): the build's credentials (the build scope role, assumed
// with the build's project and name as session tags) allow its own project's partition, its own
// log, its own source and its project's repositories, and nothing of another project; the task
// role itself allows nothing.
// AWS documentation: "Using IAM policy conditions for fine-grained access control" (DynamoDB,
// dynamodb:LeadingKeys) and "Passing session tags in AWS STS" (IAM User Guide).
import { beforeAll, describe, expect, it } from 'vitest';
import { assumeRoleInput } from '../../shared/aws/build-credentials.ts';
import { decide, identityPolicy, type PolicyDocument } from '../infra/iam.ts';
import { statements, synthBerth, text, type Statement } from '../infra/synth.ts';

const ACCOUNT = '111122223333';
const TABLE = `arn:aws:dynamodb:eu-west-1:${ACCOUNT}:table/berth`;
const BUCKET = 'arn:aws:s3:::berth-sources';
const repo = (name: string) => `arn:aws:ecr:eu-west-1:${ACCOUNT}:repository/berth/${name}`;

/** A synthesised resource as the concrete ARN it would be in a deployed account. */
function concrete(value: unknown): string {
  return text(value)
    .replace(/<import:[^>]*Table[^>]*>/g, TABLE)
    .replace(/<import:[^>]*SourcesBucket[^>]*>/g, BUCKET)
    .replace(/<import:[^>]*SecretsKey[^>]*>/g, `arn:aws:kms:eu-west-1:${ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab`)
    .replace(/<AWS::Partition>/g, 'aws')
    .replace(/<AWS::Region>/g, 'eu-west-1')
    .replace(/<AWS::AccountId>/g, ACCOUNT);
}

let scope: PolicyDocument;
let taskRole: Statement[];

/** What the build scope's identity policy decides for a call made with one build's session. */
function decideFor(tags: { project: string; build: string }, action: string, resource: string, context: Record<string, string | string[]> = {}): Promise<string> {
  return decide(scope, {
    principal: `arn:aws:sts::${ACCOUNT}:assumed-role/BuildScopeRole/build-${tags.project}-${tags.build}`,
    action,
    resource,
    accountId: ACCOUNT,
    context: { 'aws:PrincipalTag/berth-project': tags.project, 'aws:PrincipalTag/berth-build': tags.build, ...context },
  });
}

beforeAll(() => {
  const all = statements(synthBerth().templates);
  const found = all.filter((s) => s.stack === 'fleet' && /^BuildScopeRoleDefaultPolicy/.test(s.holder));
  expect(found.length).toBeGreaterThan(3);
  scope = identityPolicy(found, concrete);
  taskRole = all.filter((s) => s.stack === 'fleet' && /^BuilderTaskRoleDefaultPolicy/.test(s.holder));
}, 120_000);

const shop = { project: 'shop', build: 'web-3' };

describe('a build\'s credentials on AWS', () => {
  it('the reconciler asks for them with the build\'s project and name as session tags', () => {
    expect(assumeRoleInput('arn:aws:iam::1:role/scope', { kind: 'Build', project: 'shop', name: 'web-3' }).Tags).toEqual([
      { Key: 'berth-project', Value: 'shop' },
      { Key: 'berth-build', Value: 'web-3' },
    ]);
  });

  it('the builder task role itself allows nothing', () => {
    expect(taskRole.filter((s) => s.effect === 'Allow')).toEqual([]);
  });

  it.each([
    ['read its own Build', 'dynamodb:GetItem', TABLE, { 'dynamodb:LeadingKeys': ['P#shop'] }],
    ['move its own ImageStream tag', 'dynamodb:UpdateItem', TABLE, { 'dynamodb:LeadingKeys': ['P#shop'] }],
    ['append to its own log', 'dynamodb:PutItem', TABLE, { 'dynamodb:LeadingKeys': ['L#shop/web-3'] }],
    ['move its own project\'s usage counter with an image stream it creates', 'dynamodb:UpdateItem', TABLE, { 'dynamodb:LeadingKeys': ['Q#shop'] }],
    ['read its own uploaded source', 's3:GetObject', `${BUCKET}/sources/shop/web-3.tar`, {}],
    ['push to its project\'s repository', 'ecr:PutImage', repo('shop/web'), {}],
    ['create its project\'s repository', 'ecr:CreateRepository', repo('shop/web'), {}],
    ['pull a shared builder image', 'ecr:BatchGetImage', repo('s2i/python'), {}],
  ])('may %s', async (_, action, resource, context) => {
    expect(await decideFor(shop, action, resource, context)).toBe('Allowed');
  });

  it.each([
    ['read another project\'s objects (its secrets, role bindings)', 'dynamodb:GetItem', TABLE, { 'dynamodb:LeadingKeys': ['P#victim'] }],
    ['write another project\'s objects', 'dynamodb:PutItem', TABLE, { 'dynamodb:LeadingKeys': ['P#victim'] }],
    ['change another project\'s usage counter', 'dynamodb:UpdateItem', TABLE, { 'dynamodb:LeadingKeys': ['Q#victim'] }],
    ['replace its own usage counter wholesale', 'dynamodb:PutItem', TABLE, { 'dynamodb:LeadingKeys': ['Q#shop'] }],
    ['read another build\'s log of its own project', 'dynamodb:Query', TABLE, { 'dynamodb:LeadingKeys': ['L#shop/web-2'] }],
    ['read another project\'s build log', 'dynamodb:Query', TABLE, { 'dynamodb:LeadingKeys': ['L#victim/web-1'] }],
    ['read users and tokens', 'dynamodb:GetItem', TABLE, { 'dynamodb:LeadingKeys': ['C#User'] }],
    ['change a project', 'dynamodb:PutItem', TABLE, { 'dynamodb:LeadingKeys': ['C#Project'] }],
    ['scan the whole table', 'dynamodb:Scan', TABLE, {}],
    ['read another project\'s uploaded source', 's3:GetObject', `${BUCKET}/sources/victim/web-1.tar`, {}],
    ['read another build\'s uploaded source', 's3:GetObject', `${BUCKET}/sources/shop/web-2.tar`, {}],
    ['pull another project\'s image', 'ecr:BatchGetImage', repo('victim/web'), {}],
    ['push into another project\'s repository', 'ecr:PutImage', repo('victim/web'), {}],
    ['overwrite a shared builder image', 'ecr:PutImage', repo('s2i/python'), {}],
    ['pull the builder agent\'s image', 'ecr:BatchGetImage', repo('builder'), {}],
    ['delete a repository', 'ecr:DeleteRepository', repo('shop/web'), {}],
  ])('may not %s', async (_, action, resource, context) => {
    expect(await decideFor(shop, action, resource, context)).not.toBe('Allowed');
  });

  it('another build\'s session gets its own things and not the first one\'s', async () => {
    const victim = { project: 'victim', build: 'web-1' };
    expect(await decideFor(victim, 'dynamodb:GetItem', TABLE, { 'dynamodb:LeadingKeys': ['P#victim'] })).toBe('Allowed');
    expect(await decideFor(victim, 'dynamodb:GetItem', TABLE, { 'dynamodb:LeadingKeys': ['P#shop'] })).not.toBe('Allowed');
    expect(await decideFor(victim, 'ecr:BatchGetImage', repo('shop/web'))).not.toBe('Allowed');
  });
});
