// What `berth describe bc NAME` shows beyond the generic object: the webhook URLs, secrets
// included (whoever may view the BuildConfig may see them, as in OpenShift), and the recent builds.
import { webhookUrls } from './app-source.ts';
import type { ApiObject } from './client.ts';
import { objectTable } from './columns.ts';
import { indent } from './describe.ts';

const RECENT = 5;

export function buildConfigSections(bc: ApiObject, builds: ApiObject[], server: string, now = Date.now()): string[] {
  const project = bc.metadata.project ?? '';
  const hooks = webhookUrls(server, project, bc.metadata.name, bc.spec?.triggers);
  const width = Math.max(0, ...hooks.map((h) => h.type.length)) + 2;
  const hookLines = hooks.map((h) => `${`${h.type}:`.padEnd(width)}${h.url}${h.allowEnv ? '  (accepts env)' : ''}`);
  const number = (b: ApiObject) => Number(b.metadata.annotations?.['berth.io/build-number'] ?? b.metadata.name.split('-').pop());
  const recent = [...builds].sort((a, b) => number(b) - number(a)).slice(0, RECENT);
  return [
    hookLines.length ? `Webhooks:\n${indent(hookLines.join('\n'))}` : 'Webhooks:  <none>',
    recent.length ? `Builds:\n${indent(objectTable('Build', recent, now).trimEnd())}` : 'Builds:  <none>',
  ];
}
