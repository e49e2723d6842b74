// Test helpers for the CDK app: synthesise the whole of Berth once per test file (bundling
// skipped through CDK's own `aws:cdk:bundling-stacks` context, except where a test asks for it),
// and read what the templates say.
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { createBerth, type Berth, type BerthOptions } from '../../infra/berth.ts';
import { FEATURE_FLAGS } from '../../infra/feature-flags.ts';

/** Every optional part switched on: domain and zone (certificate, DNS), alarm e-mail, x86 hosts. */
export const FULL_CONTEXT = {
  'berth:domain': 'berth.example.com',
  'berth:hostedZoneId': 'Z0123456789ABCDEFGHIJ',
  'berth:alarmEmail': 'ops@example.com',
  'berth:tenantInstanceType': 'm6i.large',
  'berth:buildInstanceType': 'c6i.xlarge',
  'berth:routerInstanceType': 't3.small',
};

export type StackName = 'base' | 'state' | 'fleet' | 'router' | 'controlPlane';
export const STACK_NAMES: StackName[] = ['base', 'state', 'fleet', 'router', 'controlPlane'];

export interface Message {
  level: string;
  /** The construct path. */
  id: string;
  text: string;
}

export interface Synthesised {
  berth: Berth;
  templates: Record<StackName, Template>;
  /** Annotations (cdk-nag findings, warnings) from the one synthesis; Annotations.fromStack would synthesise again. */
  messages: Record<StackName, Message[]>;
}

export interface SynthOptions extends BerthOptions {
  /** Bundle the functions and agents for real (slower); skipped by default. */
  bundle?: boolean;
  /** Changes a test makes to the stacks before synthesis. */
  before?: (berth: Berth) => void;
}

export function synthBerth(context: Record<string, unknown> = {}, options: SynthOptions = {}): Synthesised {
  const { bundle = false, before, ...berthOptions } = options;
  const app = new App({ context: { ...FEATURE_FLAGS, ...(bundle ? {} : { 'aws:cdk:bundling-stacks': [] }), ...context } });
  const berth = createBerth(app, berthOptions);
  before?.(berth);
  const assembly = app.synth();
  const byStack = <T>(f: (name: StackName) => T) => Object.fromEntries(STACK_NAMES.map((name) => [name, f(name)])) as Record<StackName, T>;
  const templates = byStack((name) => Template.fromStack(berth[name]));
  const messages = byStack((name) => assembly.getStackArtifact(berth[name].artifactId).messages
    .map((m) => ({ level: m.level, id: m.id, text: String(m.entry.data).split('\n')[0]! })));
  return { berth, templates, messages };
}

type Json = unknown;

/**
 * A CloudFormation value as readable text: Fn::Join concatenated, references as <LogicalId>
 * or <LogicalId.Attr>, imports as <import>, pseudo parameters as <AWS::Region>.
 */
export function text(value: Json): string {
  if (typeof value === 'string') return value;
  if (Array.isArray(value)) return value.map(text).join(',');
  if (value && typeof value === 'object') {
    const o = value as Record<string, Json>;
    if ('Fn::Base64' in o) return text(o['Fn::Base64']);
    if ('Fn::Join' in o) {
      const [sep, parts] = o['Fn::Join'] as [string, Json[]];
      return parts.map(text).join(sep);
    }
    if ('Ref' in o) return `<${String(o.Ref)}>`;
    if ('Fn::GetAtt' in o) return `<${(o['Fn::GetAtt'] as string[]).join('.')}>`;
    if ('Fn::ImportValue' in o) return `<import:${text(o['Fn::ImportValue'])}>`;
    if ('Fn::Sub' in o && typeof o['Fn::Sub'] === 'string') return o['Fn::Sub'].replace(/\$\{([^}]+)\}/g, '<$1>');
    if ('Fn::Select' in o || 'Fn::Split' in o || 'Fn::Sub' in o || 'Fn::If' in o) return `<${Object.keys(o)[0]}>`;
  }
  return JSON.stringify(value);
}

export interface Statement {
  stack: StackName;
  /** The logical id of the resource holding the policy, and its type. */
  holder: string;
  holderType: string;
  effect: 'Allow' | 'Deny';
  actions: string[];
  resources: string[];
  condition?: Record<string, Record<string, Json>>;
  raw: Record<string, Json>;
}

const list = (v: Json): Json[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

/** Every statement of every policy document anywhere in the templates (identity and resource policies). */
export function statements(templates: Record<StackName, Template>): Statement[] {
  const found: Statement[] = [];
  const walk = (stack: StackName, holder: [string, string], node: Json): void => {
    if (Array.isArray(node)) return node.forEach((n) => walk(stack, holder, n));
    if (!node || typeof node !== 'object') return;
    const o = node as Record<string, Json>;
    if ('Statement' in o && 'Version' in o) {
      for (const s of list(o.Statement) as Record<string, Json>[]) {
        found.push({
          stack, holder: holder[0], holderType: holder[1], raw: s,
          effect: s.Effect as 'Allow' | 'Deny',
          actions: list(s.Action ?? s.NotAction).map(text),
          resources: list(s.Resource ?? s.NotResource).map(text),
          condition: s.Condition as Statement['condition'],
        });
      }
      return;
    }
    Object.values(o).forEach((v) => walk(stack, holder, v));
  };
  for (const stack of STACK_NAMES) {
    for (const [id, resource] of Object.entries(templates[stack].toJSON().Resources as Record<string, { Type: string }>)) walk(stack, [id, resource.Type], resource);
  }
  return found;
}

/** Resources of one type in one template, as [logicalId, properties]. */
export function resourcesOf(template: Template, type: string): [string, Record<string, Json>][] {
  return Object.entries(template.findResources(type)).map(([id, r]) => [id, ((r as { Properties?: Record<string, Json> }).Properties ?? {})]);
}
