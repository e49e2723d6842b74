// The whole platform as CDK stacks, in the order they stand on each other:
//   Base (VPC, alarm topic) ─► State (table) ─► Fleet (ECS cluster, hosts, builder, ECR)
//     ─► Router (HAProxy hosts behind an NLB) ─► ControlPlane (functions, HTTP API, triggers)
// app.ts calls this with the CLI's environment; the tests call it with context of their own.
import { Aspects, Tags, type App, type Environment } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from './bundling.ts';
import { readConfig, type BerthConfig } from './config.ts';
import { justifyWildcards } from './nag.ts';
import type { FunctionSpec } from './functions.ts';
import { BaseStack } from './stacks/base-stack.ts';
import { ControlPlaneStack } from './stacks/control-plane-stack.ts';
import { FleetStack } from './stacks/fleet-stack.ts';
import { RouterStack } from './stacks/router-stack.ts';
import { StateStack } from './stacks/state-stack.ts';

export const ROUTER_AGENT_ENTRY = 'agents/router/main.ts';

export interface BerthOptions {
  /** Account and region; leave undefined for environment-agnostic stacks (needed only with berth:vpcId). */
  env?: Environment;
  /** The router agent entry; by default ROUTER_AGENT_ENTRY when that file exists. `null`: none. */
  routerAgentEntry?: string | null;
  /** The function table; FUNCTIONS by default. */
  functions?: readonly FunctionSpec[];
}

export interface Berth {
  config: BerthConfig;
  base: BaseStack;
  state: StateStack;
  fleet: FleetStack;
  router: RouterStack;
  controlPlane: ControlPlaneStack;
}

export function createBerth(app: App, options: BerthOptions = {}): Berth {
  const config = readConfig(app.node);
  if (config.vpcId && !(options.env?.account && options.env.region)) {
    throw new Error('context berth:vpcId needs an account and region to look the VPC up: run the CDK CLI with AWS credentials and a region');
  }
  const env = options.env;
  const agentEntry = options.routerAgentEntry === undefined
    ? (existsSync(join(REPO_ROOT, ROUTER_AGENT_ENTRY)) ? ROUTER_AGENT_ENTRY : undefined)
    : options.routerAgentEntry ?? undefined;

  const base = new BaseStack(app, 'Berth-Base', { env, config, description: 'Berth: network and alarm topic' });
  const state = new StateStack(app, 'Berth-State', { env, description: 'Berth: state table' });
  const { vpc, alarmTopic } = base;
  const { table } = state;
  const fleet = new FleetStack(app, 'Berth-Fleet', { env, config, vpc, state, alarmTopic, description: 'Berth: ECS cluster, hosts, builder, ECR' });
  const router = new RouterStack(app, 'Berth-Router', {
    env, config, vpc, table, alarmTopic, agentEntry, tenantHostsSecurityGroup: fleet.tenantHosts.securityGroup,
    routerPeersSecurityGroup: fleet.podNetworking.routerPeers,
    description: 'Berth: routers and their load balancer',
  });
  const controlPlane = new ControlPlaneStack(app, 'Berth-ControlPlane', { env, config, state, fleet, alarmTopic, functions: options.functions, description: 'Berth: control plane' });

  Tags.of(app).add('app', 'berth');
  for (const [component, stack] of Object.entries({ base, state, fleet, router, controlPlane })) Tags.of(stack).add('berth:component', component);
  justifyWildcards([base, state, fleet, router, controlPlane]);
  Aspects.of(app).add(new AwsSolutionsChecks());
  return { config, base, state, fleet, router, controlPlane };
}
