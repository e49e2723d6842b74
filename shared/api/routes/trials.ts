// Sign-up and the cluster admin's side of trials: the trials and their ends, extending,
// converting or ending one, the trial plan, per-user project limits, and the audit log
// (shared/trials, shared/audit).
import type { Hono } from 'hono';
import * as z from 'zod';
import { AUDIT_KIND } from '../../audit/record.ts';
import { dnsName } from '../../model/names.ts';
import { convertTrial, expireTrial, extendTrial, listTrials, setProjectLimit } from '../../trials/lifecycle.ts';
import { planRef, readPlan, trialPlanSpec, writePlan } from '../../trials/plan.ts';
import { DEFAULT_TRIAL_SETTINGS, type TrialSettings } from '../../trials/settings.ts';
import { signUp } from '../../trials/signup.ts';
import { clientAddress } from '../client-address.ts';
import type { ApiDeps, ApiEnv } from '../env.ts';
import { defineRoute } from '../route.ts';
import { ListQuery, NameParam } from '../schemas.ts';
import { listResponse } from './common.ts';

const SignUpBody = z.strictObject({
  username: dnsName,
  password: z.string().min(8, 'must be at least 8 characters').max(1024),
  project: dnsName.optional(),
});
const ExtendBody = z.strictObject({ days: z.number().positive('must be more than 0').max(365, 'at most 365') });
const PlanBody = z.strictObject({ spec: trialPlanSpec });
const LimitBody = z.strictObject({ projects: z.number().int('a whole number').min(0, 'at least 0').max(10_000).nullable() });
const tag = 'Trials';

export function registerTrialRoutes(app: Hono<ApiEnv>, deps: ApiDeps): void {
  const settings: TrialSettings = deps.trials ?? { ...DEFAULT_TRIAL_SETTINGS, signup: 'off' };
  const admin = { kind: 'cluster-admin' } as const;
  const now = () => settings.now();

  defineRoute(
    app,
    deps,
    { method: 'post', path: '/api/v1/signup', access: { kind: 'public' }, summary: 'Sign up for a trial: a user and one project, logged in (429 with Retry-After past the sign-ups allowed per address)', tag, body: SignUpBody, status: 201 },
    async (c, { body }) => {
      const { project, expires } = await signUp({ store: deps.store, identity: deps.identity, settings }, body, clientAddress(c));
      const login = await deps.identity.login(body.username, body.password);
      return c.json({ ...login, project, trialExpires: expires }, 201);
    },
  );

  defineRoute(app, deps, { method: 'get', path: '/api/v1/trials', access: admin, summary: 'Trial users, soonest end first', tag }, async (c) => c.json({ items: await listTrials(deps.store) }));
  defineRoute(app, deps, { method: 'post', path: '/api/v1/trials/{name}/extend', access: admin, summary: "Add days to a user's trial", tag, params: NameParam, body: ExtendBody }, async (c, { params, body }) =>
    c.json({ user: params.name, expires: await extendTrial(deps, params.name, body.days, now()) }),
  );
  defineRoute(app, deps, { method: 'post', path: '/api/v1/trials/{name}/expire', access: admin, summary: 'End a trial now: its projects and user are deleted', tag, params: NameParam }, async (c, { params }) =>
    c.json({ user: params.name, expires: await expireTrial(deps, params.name, now()) }),
  );
  defineRoute(app, deps, { method: 'post', path: '/api/v1/trials/{name}/convert', access: admin, summary: 'Make a trial user a normal user (the quota stays until changed)', tag, params: NameParam }, async (c, { params }) => {
    await convertTrial(deps, params.name, now());
    return c.json({ user: params.name });
  });

  defineRoute(app, deps, { method: 'get', path: '/api/v1/trialplan', access: admin, summary: 'The quota and limit range trial projects get', tag }, async (c) => {
    const plan = await readPlan(deps.store);
    return c.json({ kind: planRef.kind, metadata: { name: planRef.name, resourceVersion: plan.resourceVersion }, spec: plan.spec });
  });
  defineRoute(app, deps, { method: 'put', path: '/api/v1/trialplan', access: admin, summary: 'Replace the trial plan (new trial projects get it)', tag, body: PlanBody }, async (c, { body }) =>
    c.json(await writePlan(deps.store, body.spec)),
  );

  defineRoute(app, deps, { method: 'put', path: '/api/v1/users/{name}/projectlimit', access: admin, summary: 'Set (or with null, reset) how many projects a user may create', tag, params: NameParam, body: LimitBody }, async (c, { params, body }) =>
    c.json(await setProjectLimit(deps.store, params.name, body.projects ?? undefined)),
  );

  defineRoute(app, deps, { method: 'get', path: '/api/v1/audit', access: admin, summary: 'Audit events, oldest first: sign-ups, failed logins, locks, project creations, refusals, expiries', tag: 'Audit', query: ListQuery }, async (c, { query }) =>
    c.json(listResponse(AUDIT_KIND, await deps.store.list(AUDIT_KIND, '', { limit: query.limit, continue: query.continue }))),
  );
}
