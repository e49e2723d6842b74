// Berth's deployment settings, read from CDK context (`cdk deploy -c berth:domain=example.com`)
// with defaults that let `cdk synth` run offline with no context at all. Every key is listed in
// CONTEXT_KEYS with its meaning, and docs/aws.md shows the same table.
import { InstanceArchitecture, InstanceType } from 'aws-cdk-lib/aws-ec2';
import type { Node } from 'constructs';

/** One fleet of EC2 hosts: its instance type and Auto Scaling group bounds. */
export interface FleetSize {
  instanceType: string;
  min: number;
  max: number;
}

export const CONTAINER_INSIGHTS_MODES = ['disabled', 'enabled', 'enhanced'] as const;
export type ContainerInsightsMode = (typeof CONTAINER_INSIGHTS_MODES)[number];

export interface BerthConfig {
  /** Base domain: the API answers at api.<domain>, apps at <route>-<project>.apps.<domain>. */
  domain?: string;
  /** The apps domain given to the functions and the router (BERTH_APPS_DOMAIN). */
  appsDomain: string;
  /** A public Route 53 zone for `domain`: when set, Berth makes the certificate and records. */
  hostedZone?: { id: string; name: string };
  /** An existing VPC to use instead of creating one (looked up: needs account and region). */
  vpcId?: string;
  maxAzs: number;
  natGateways: number;
  tenantHosts: FleetSize;
  buildHosts: FleetSize;
  routerHosts: FleetSize;
  /** The tag of the builder agent image in the ECR repository berth/builder. */
  builderImageTag: string;
  /** S2I builder images, one ECR repository each: berth/s2i/<name>. */
  s2iImages: string[];
  /** Where alarms are e-mailed (an SNS subscription the recipient must confirm). */
  alarmEmail?: string;
  logRetentionDays: number;
  /** X-Ray tracing of the functions: `active` traces at Lambda's fixed sampling rate, `off` traces nothing (docs/cost.md). */
  tracing: 'off' | 'active';
  /** Trials: whether anyone may sign up, how long a trial lasts, projects per user (the functions' PAAS_SIGNUP, PAAS_TRIAL_DAYS, PAAS_PROJECTS_PER_USER). */
  trials: { signup: 'open' | 'off'; trialDays: number; projectsPerUser: number };
  /** ECS Container Insights on the cluster: off by default (its metrics are billed per task family). */
  containerInsights: ContainerInsightsMode;
  /** Interface VPC endpoints for CodeArtifact, so package downloads skip the NAT gateway. */
  codeArtifactEndpoints: boolean;
  /** Daily AWS Backup of the claims file system (EFS automatic backups, 35 days kept). */
  claimBackups: boolean;
  /** Days without access after which claim files move to EFS Infrequent Access (0: never). */
  claimsToInfrequentAccessDays: 0 | 7 | 14 | 30 | 60 | 90;
}

/** Context keys, their defaults (as the CLI would pass them) and what they mean. */
export const CONTEXT_KEYS = {
  'berth:domain': ['', 'base domain; API at api.<domain>, apps at *.apps.<domain>'],
  'berth:hostedZoneId': ['', 'Route 53 public zone id for the domain; enables ACM certificate and DNS records'],
  'berth:hostedZoneName': ['', 'that zone\'s name (default: the domain)'],
  'berth:vpcId': ['', 'use this existing VPC (looked up; needs credentials at synth)'],
  'berth:maxAzs': ['2', 'availability zones of a new VPC'],
  'berth:natGateways': ['1', 'NAT gateways of a new VPC'],
  'berth:tenantInstanceType': ['m7g.large', 'tenant container hosts'],
  'berth:tenantHostsMin': ['1', ''],
  'berth:tenantHostsMax': ['10', 'the autoscaler grows the tenant hosts with pending pods up to this'],
  'berth:buildInstanceType': ['c7g.xlarge', 'build hosts (same CPU architecture as tenant hosts)'],
  'berth:buildHostsMin': ['0', 'build hosts scale from zero with the build capacity provider'],
  'berth:buildHostsMax': ['2', ''],
  'berth:routerInstanceType': ['t4g.small', 'router hosts (HAProxy + router agent)'],
  'berth:routerHostsMin': ['2', ''],
  'berth:routerHostsMax': ['2', ''],
  'berth:builderImageTag': ['latest', 'tag of the builder agent image in berth/builder'],
  'berth:s2iImages': ['python', 'comma-separated S2I builder image names'],
  'berth:alarmEmail': ['', 'e-mail address subscribed to the alarm topic'],
  'berth:logRetentionDays': ['30', 'CloudWatch Logs retention of every Berth log group'],
  'berth:tracing': ['off', 'X-Ray tracing of the functions: off (no traces, nothing billed) or active (Lambda samples its own invocations: 1 a second and 5 % of the rest; billed past the free tier: docs/cost.md)'],
  'berth:signup': ['off', 'open: anyone may sign up for a trial (POST /api/v1/signup); off: only cluster admins make users'],
  'berth:trialDays': ['7', 'how many days a trial lasts'],
  'berth:projectsPerUser': ['10', 'projects a user who is not on a trial may create'],
  'berth:containerInsights': ['disabled', 'ECS Container Insights on the cluster: disabled, enabled or enhanced (billed per task family: docs/cost.md)'],
  'berth:codeArtifactEndpoints': ['false', 'true: interface VPC endpoints for CodeArtifact, so builds download packages without the NAT gateway (hourly cost per zone: docs/cost.md)'],
  'berth:claimBackups': ['on', 'daily AWS Backup of the claims file system (EFS automatic backups, kept 35 days): on or off (backup storage is billed per GB-month: docs/cost.md)'],
  'berth:claimsToInfrequentAccessDays': ['30', 'days without access after which claim files move to EFS Infrequent Access (cheaper storage, billed per read): 0 (never), 7, 14, 30, 60 or 90'],
} as const satisfies Record<string, readonly [string, string]>;

export type ContextKey = keyof typeof CONTEXT_KEYS;

/** Reads and checks the configuration; throws naming the key at fault. */
export function readConfig(node: Node): BerthConfig {
  const text = (key: ContextKey): string => {
    const value: unknown = node.tryGetContext(key);
    return value === undefined || value === null ? CONTEXT_KEYS[key][0] : String(value).trim();
  };
  const optional = (key: ContextKey): string | undefined => text(key) || undefined;
  const count = (key: ContextKey, least = 0): number => {
    const value = Number(text(key));
    if (!Number.isInteger(value) || value < least) throw new Error(`context ${key} must be an integer ≥ ${least}, got "${text(key)}"`);
    return value;
  };
  const oneOf = <T extends string>(key: ContextKey, values: readonly T[]): T => {
    const value = text(key);
    if (!(values as readonly string[]).includes(value)) throw new Error(`context ${key} must be one of ${values.join(', ')}, got "${value}"`);
    return value as T;
  };
  const fleet = (role: 'tenant' | 'build' | 'router'): FleetSize => {
    const size = {
      instanceType: text(`berth:${role}InstanceType`),
      min: count(`berth:${role}HostsMin`),
      max: count(`berth:${role}HostsMax`, 1),
    };
    if (size.min > size.max) throw new Error(`context berth:${role}HostsMin (${size.min}) exceeds berth:${role}HostsMax (${size.max})`);
    architectureOf(size.instanceType, `berth:${role}InstanceType`);
    return size;
  };

  const domain = optional('berth:domain');
  if (domain !== undefined) checkDomain(domain, 'berth:domain');
  const zoneId = optional('berth:hostedZoneId');
  if (zoneId && !domain) throw new Error('context berth:hostedZoneId needs berth:domain');

  const config: BerthConfig = {
    domain,
    appsDomain: domain ? `apps.${domain}` : UNSET_APPS_DOMAIN,
    hostedZone: zoneId ? { id: zoneId, name: optional('berth:hostedZoneName') ?? domain! } : undefined,
    vpcId: optional('berth:vpcId'),
    maxAzs: count('berth:maxAzs', 1),
    natGateways: count('berth:natGateways'),
    tenantHosts: fleet('tenant'),
    buildHosts: fleet('build'),
    routerHosts: fleet('router'),
    builderImageTag: text('berth:builderImageTag'),
    s2iImages: text('berth:s2iImages').split(',').map((s) => s.trim()).filter(Boolean),
    alarmEmail: optional('berth:alarmEmail'),
    logRetentionDays: count('berth:logRetentionDays', 1),
    tracing: oneOf('berth:tracing', ['off', 'active'] as const),
    trials: { signup: signupOf(text('berth:signup')), trialDays: count('berth:trialDays', 1), projectsPerUser: count('berth:projectsPerUser') },
    containerInsights: oneOf('berth:containerInsights', CONTAINER_INSIGHTS_MODES),
    codeArtifactEndpoints: oneOf('berth:codeArtifactEndpoints', ['true', 'false'] as const) === 'true',
    claimBackups: oneOf('berth:claimBackups', ['on', 'off'] as const) === 'on',
    claimsToInfrequentAccessDays: Number(oneOf('berth:claimsToInfrequentAccessDays', ['0', '7', '14', '30', '60', '90'] as const)) as BerthConfig['claimsToInfrequentAccessDays'],
  };
  if (architectureOf(config.tenantHosts.instanceType) !== architectureOf(config.buildHosts.instanceType)) {
    throw new Error('context berth:buildInstanceType must have the CPU architecture of berth:tenantInstanceType: images built on one run on the other');
  }
  return config;
}

function signupOf(value: string): 'open' | 'off' {
  if (value !== 'open' && value !== 'off') throw new Error(`context berth:signup must be open or off, got "${value}"`);
  return value;
}

/** The apps domain when no domain is configured: reserved (RFC 2606), reachable only with a Host header. */
export const UNSET_APPS_DOMAIN = 'apps.berth.invalid';

/** The CPU architecture of an instance type, e.g. arm_64 for m7g.large. */
export function architectureOf(instanceType: string, key = 'instance type'): InstanceArchitecture {
  if (!/^[a-z][a-z0-9-]*\.[a-z0-9]+$/.test(instanceType)) throw new Error(`context ${key}: "${instanceType}" is not an EC2 instance type`);
  return new InstanceType(instanceType).architecture;
}

function checkDomain(domain: string, key: string): void {
  const label = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;
  if (domain.length > 200 || !domain.includes('.') || !domain.split('.').every((l) => label.test(l))) {
    throw new Error(`context ${key}: "${domain}" is not a lower-case DNS name such as berth.example.com`);
  }
}
