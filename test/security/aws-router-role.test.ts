// Attack: a router host faces the internet; whoever takes one holds its role. With that role
// they try to read a project's secrets and other objects from the state table, by key, by
// query, through the index and by scanning — and are refused. The role reads only the routers'
// change feed and, through the byKind index, Routes and Services. The role's policy is taken
// from the synthesised template and evaluated offline with @cloud-copilot/iam-simulate
// (IAM policy evaluation logic:
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html;
// dynamodb:LeadingKeys:
// https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/specifying-conditions.html).
import { beforeAll, describe, expect, it } from 'vitest';
import { decide, type PolicyDocument } from '../infra/iam.ts';
import { statements, synthBerth } from '../infra/synth.ts';

const ACCOUNT = '123456789012';
const TABLE = `arn:aws:dynamodb:eu-west-1:${ACCOUNT}:table/berth-state`;
const INDEX = `${TABLE}/index/byKind`;
let policy: PolicyDocument;

beforeAll(() => {
  const synth = synthBerth();
  // The router role's statements about the table, with the imported table ARN made concrete.
  const mine = statements(synth.templates).filter((s) => s.stack === 'router' && s.holder.startsWith('InstanceRole') && s.actions.some((a) => a.startsWith('dynamodb:') || a === '*'));
  const concrete = (v: unknown): unknown => {
    const t = JSON.stringify(v);
    return JSON.parse(t.replace(/\{"Fn::ImportValue":"[^"]*Table[^"]*Arn[^"]*"\}/g, JSON.stringify(TABLE)).replace(/\{"Fn::Join":\["",\["([^"]+)","(\/index\/[^"]+)"\]\]\}/g, '"$1$2"'));
  };
  policy = { Version: '2012-10-17', Statement: mine.map((s) => concrete(s.raw) as PolicyDocument['Statement'][number]) };
});

/** What the router role's policy decides for one call (with the partition keys it names). */
const decideFor = (action: string, resource: string, leadingKeys?: string[]) =>
  decide(policy, { principal: `arn:aws:iam::${ACCOUNT}:role/berth-router`, action, resource, accountId: ACCOUNT, context: leadingKeys ? { 'dynamodb:LeadingKeys': leadingKeys } : {} });

describe("a router host's role", () => {
  it('holds a policy for the table (the statements under test were found and resolved)', () => {
    expect(JSON.stringify(policy)).toContain(TABLE);
    expect(JSON.stringify(policy)).not.toContain('Fn::');
  });

  it.each([
    ['dynamodb:Query', TABLE, ['F#router']],
    ['dynamodb:GetItem', TABLE, ['F#router']],
    ['dynamodb:Query', INDEX, ['Route']],
    ['dynamodb:Query', INDEX, ['Service']],
    ['dynamodb:UpdateItem', TABLE, ['F#active']],
    ['dynamodb:UpdateItem', TABLE, ['F#wake']],
  ])('may %s %s in partition %j (what routing needs)', async (action, resource, keys) => {
    expect(await decideFor(action, resource, keys)).toBe('Allowed');
  });

  it.each([
    ['reads a project\'s Secret by its key', 'dynamodb:GetItem', TABLE, ['P#victim']],
    ['queries a whole project', 'dynamodb:Query', TABLE, ['P#victim']],
    ['reads the users (cluster-scoped objects)', 'dynamodb:Query', TABLE, ['C#User']],
    ['reads build logs', 'dynamodb:Query', TABLE, ['L#victim/web-1']],
    ['lists every Secret through the index', 'dynamodb:Query', INDEX, ['Secret']],
    ['lists every BuildConfig (webhook secrets) through the index', 'dynamodb:Query', INDEX, ['BuildConfig']],
    ['mixes an allowed partition with another in one batch', 'dynamodb:BatchGetItem', TABLE, ['F#router', 'P#victim']],
    ['writes to the feed', 'dynamodb:PutItem', TABLE, ['F#router']],
    ['updates the feed', 'dynamodb:UpdateItem', TABLE, ['F#router']],
    ['updates an object of a project (a DC\'s replicas)', 'dynamodb:UpdateItem', TABLE, ['P#victim']],
    ['replaces an activity report', 'dynamodb:PutItem', TABLE, ['F#active']],
    ['deletes a wake request', 'dynamodb:DeleteItem', TABLE, ['F#wake']],
  ])('is refused when it %s', async (_what, action, resource, keys) => {
    expect(await decideFor(action, resource, keys)).not.toBe('Allowed');
  });

  it('is refused a Scan of the table or the index (no partition key, so no LeadingKeys)', async () => {
    expect(await decideFor('dynamodb:Scan', TABLE)).not.toBe('Allowed');
    expect(await decideFor('dynamodb:Scan', INDEX)).not.toBe('Allowed');
  });
});
