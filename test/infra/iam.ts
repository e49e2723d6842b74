// Offline IAM evaluation of synthesised policies, for the tests that prove what a role may and
// may not do: @cloud-copilot/iam-simulate applies AWS's policy evaluation logic, with one
// correction made here for every caller (requests authorised against "*", below).
import { runSimulation } from '@cloud-copilot/iam-simulate';
import { text, type Statement } from './synth.ts';

export interface PolicyDocument {
  Version: string;
  Statement: { Resource?: unknown; [field: string]: unknown }[];
}

/**
 * An identity policy of synthesised statements, their resources (and, given `condition`, their
 * conditions) made concrete as in a deployed account.
 * @example identityPolicy(found, (v) => text(v).replace(/<AWS::AccountId>/g, ACCOUNT))
 */
export function identityPolicy(found: Statement[], concrete: (value: unknown) => string, condition: (c: unknown) => unknown = (c) => c): PolicyDocument {
  return {
    Version: '2012-10-17',
    Statement: found.map((s) => ({
      Effect: s.effect,
      Action: s.actions,
      Resource: (Array.isArray(s.raw.Resource) ? s.raw.Resource : [s.raw.Resource]).map(concrete),
      ...(s.condition ? { Condition: condition(s.condition) } : {}),
    })),
  };
}

/**
 * Synthesised values made concrete as in a deployed account: each [pattern, value] pair replaces
 * what `text` renders (references as <LogicalId>, imports as <import:…>), then the pseudo
 * parameters. `value` gives one string; `deep` walks a Condition block.
 * @example deployedIn('111122223333', 'eu-west-1', [[/<import:[^>]*Table[^>]*>/g, TABLE]]).value(s.raw.Resource)
 */
export function deployedIn(account: string, region: string, names: [RegExp, string][]): { value: (v: unknown) => string; deep: (v: unknown) => unknown } {
  const value = (v: unknown) => names.reduce((t, [pattern, arn]) => t.replace(pattern, arn), text(v))
    .replace(/<AWS::Partition>/g, 'aws').replace(/<AWS::Region>/g, region).replace(/<AWS::AccountId>/g, account).replace(/<AWS::URLSuffix>/g, 'amazonaws.com');
  return { value, deep: concreteCondition(value) };
}

/**
 * A statement's Condition with every value made concrete by `concrete` (values are synthesised
 * intrinsics: imports, joins, refs), keeping its operators and keys.
 * @example identityPolicy(found, concrete, concreteCondition(concrete))
 */
export function concreteCondition(concrete: (value: unknown) => string): (c: unknown) => unknown {
  const deep = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(deep);
    if (v && typeof v === 'object' && !['Fn::ImportValue', 'Fn::Join', 'Ref', 'Fn::GetAtt'].some((k) => k in v)) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, deep(x)]));
    return concrete(v);
  };
  return deep;
}

/** Whether a policy's Resource pattern (with * and ? wildcards) matches the literal request resource. */
const globMatches = (pattern: string, value: string) =>
  new RegExp(`^${pattern.split('').map((ch) => (ch === '*' ? '.*' : ch === '?' ? '.' : ch.replace(/[.+^${}()|[\]\\]/g, '\\$&'))).join('')}$`).test(value);

/**
 * The policy as IAM sees it for a request authorised against "*": AWS matches the literal string
 * "*" against each Resource pattern, so only statements whose Resource is "*" (or matches it)
 * apply. The simulator reads a "*" request as "any resource", so it is given only those.
 */
function forStarRequest(policy: PolicyDocument): PolicyDocument {
  const Statement = policy.Statement.map((s) => ({ ...s, Resource: [s.Resource].flat().filter((r) => typeof r === 'string' && globMatches(r, '*')) })).filter((s) => s.Resource.length > 0);
  return { ...policy, Statement };
}

export interface IamCall {
  principal: string;
  action: string;
  resource: string;
  accountId: string;
  context?: Record<string, string | string[]>;
}

/**
 * What `policy` (one identity policy, under `boundary` when given; no SCPs; the resource's own
 * policy when given, as a KMS key's, which AWS always evaluates) decides for one call: 'Allowed', 'ImplicitlyDenied' or 'ExplicitlyDenied'.
 */
export async function decide(policy: PolicyDocument, call: IamCall, boundary?: PolicyDocument, resourcePolicy?: PolicyDocument): Promise<string> {
  const star = (p: PolicyDocument) => (call.resource === '*' ? forStarRequest(p) : p);
  const result = await runSimulation(
    {
      identityPolicies: [{ name: 'under-test', policy: star(policy) }],
      ...(boundary ? { permissionBoundaryPolicies: [{ name: 'boundary', policy: star(boundary) }] } : {}),
      ...(resourcePolicy ? { resourcePolicy } : {}),
      serviceControlPolicies: [],
      resourceControlPolicies: [],
      request: { principal: call.principal, action: call.action, resource: { resource: call.resource, accountId: call.accountId }, contextVariables: call.context ?? {} },
    },
    {},
  );
  if (result.resultType === 'error') throw new Error(JSON.stringify(result.errors));
  return result.overallResult;
}
