// Configuration by context: defaults that synthesise offline, strings from the CLI, and clear
// errors naming the key at fault.
import { App } from 'aws-cdk-lib';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createBerth } from '../../infra/berth.ts';
import { REPO_ROOT } from '../../infra/bundling.ts';
import { CONTEXT_KEYS, readConfig, UNSET_APPS_DOMAIN } from '../../infra/config.ts';
import { retentionOf } from '../../infra/retention.ts';

const configWith = (context: Record<string, unknown>) => readConfig(new App({ context }).node);

describe('readConfig', () => {
  it('has a default for everything, with no domain, zone, VPC or e-mail', () => {
    expect(configWith({})).toEqual({
      domain: undefined,
      appsDomain: UNSET_APPS_DOMAIN,
      hostedZone: undefined,
      vpcId: undefined,
      maxAzs: 2,
      natGateways: 1,
      tenantHosts: { instanceType: 'm7g.large', min: 1, max: 10 },
      buildHosts: { instanceType: 'c7g.xlarge', min: 0, max: 2 },
      routerHosts: { instanceType: 't4g.small', min: 2, max: 2 },
      builderImageTag: 'latest',
      s2iImages: ['python'],
      alarmEmail: undefined,
      logRetentionDays: 30,
      tracing: 'off',
      trials: { signup: 'off', trialDays: 7, projectsPerUser: 10 },
      containerInsights: 'disabled',
      claimBackups: true,
      claimsToInfrequentAccessDays: 30,
      codeArtifactEndpoints: false,
    });
  });

  it('reads the trial settings: sign-up opened, trial length, projects per user', () => {
    expect(configWith({ 'berth:signup': 'open', 'berth:trialDays': '14', 'berth:projectsPerUser': '3' }).trials).toEqual({ signup: 'open', trialDays: 14, projectsPerUser: 3 });
  });

  it('reads the strings the CLI passes (-c berth:key=value)', () => {
    const c = configWith({
      'berth:domain': 'paas.example.org', 'berth:hostedZoneId': 'Z1', 'berth:tenantHostsMax': '10',
      'berth:buildInstanceType': 'c7g.2xlarge', 'berth:s2iImages': 'python,nodejs', 'berth:logRetentionDays': '90',
      'berth:containerInsights': 'enhanced',
    });
    expect(c).toMatchObject({
      domain: 'paas.example.org', appsDomain: 'apps.paas.example.org', hostedZone: { id: 'Z1', name: 'paas.example.org' },
      tenantHosts: { max: 10 }, buildHosts: { instanceType: 'c7g.2xlarge' }, s2iImages: ['python', 'nodejs'], logRetentionDays: 90, containerInsights: 'enhanced',
    });
  });

  it.each([
    [{ 'berth:tenantHostsMax': 'many' }, /berth:tenantHostsMax must be an integer/],
    [{ 'berth:buildHostsMax': '0' }, /berth:buildHostsMax must be an integer ≥ 1/],
    [{ 'berth:routerHostsMin': '3' }, /berth:routerHostsMin \(3\) exceeds berth:routerHostsMax \(2\)/],
    [{ 'berth:tenantInstanceType': 'large' }, /berth:tenantInstanceType: "large" is not an EC2 instance type/],
    [{ 'berth:buildInstanceType': 'c6i.xlarge' }, /must have the CPU architecture of berth:tenantInstanceType/],
    [{ 'berth:domain': 'Example.COM' }, /berth:domain: "Example.COM" is not a lower-case DNS name/],
    [{ 'berth:domain': 'localhost' }, /is not a lower-case DNS name/],
    [{ 'berth:hostedZoneId': 'Z1' }, /berth:hostedZoneId needs berth:domain/],
    [{ 'berth:signup': 'yes' }, /berth:signup must be open or off, got "yes"/],
    [{ 'berth:trialDays': '0' }, /berth:trialDays must be an integer ≥ 1/],
    [{ 'berth:containerInsights': 'on' }, /berth:containerInsights must be one of disabled, enabled, enhanced, got "on"/],
    [{ 'berth:tracing': 'sampled' }, /berth:tracing must be one of off, active, got "sampled"/],
  ])('refuses %j', (context, message) => {
    expect(() => configWith(context)).toThrow(message);
  });

  it('has every key it reads documented in docs/aws.md', () => {
    const doc = readFileSync(join(REPO_ROOT, 'docs/aws.md'), 'utf8');
    for (const key of Object.keys(CONTEXT_KEYS)) expect(doc, key).toContain(`\`${key}\``);
  });
});

describe('retentionOf', () => {
  it.each([[1, 1], [30, 30], [10, 14], [400, 400], [100_000, 9999]])('%i days asked → %i kept', (asked, kept) => {
    expect(retentionOf({ logRetentionDays: asked })).toBe(kept);
  });
});

describe('createBerth', () => {
  it('refuses berth:vpcId without an account and region, instead of failing inside the lookup', () => {
    expect(() => createBerth(new App({ context: { 'berth:vpcId': 'vpc-0123' } }))).toThrow(/berth:vpcId needs an account and region/);
  });
});
