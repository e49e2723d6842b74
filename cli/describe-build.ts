// What `berth describe bc NAME` shows beyond the generic object: the webhook URLs, secrets
// included (whoever may view the BuildConfig may see them, as in OpenShift), and the recent builds.
import { webhookLines } from './app-source.ts';
import type { ApiObject } from './client.ts';
import { objectTable } from './columns.ts';
import { indent } from './describe.ts';

const RECENT = 5;

export function buildConfigSections(bc: ApiObject, builds: ApiObject[], server: string, now = Date.now()): string[] {
  const hookLines = webhookLines(server, bc.metadata.project ?? '', bc.metadata.name, bc.spec?.triggers);
  const number = (b: ApiObject) => Number(b.metadata.annotations?.['berth.io/build-number'] ?? b.metadata.name.split('-').pop());
  const recent = [...builds].sort((a, b) => number(b) - number(a)).slice(0, RECENT);
  return [
    hookLines.length ? `Webhooks:\n${indent(hookLines.join('\n'))}` : 'Webhooks:  <none>',
    recent.length ? `Builds:\n${indent(objectTable('Build', recent, now, { keepOrder: true }).trimEnd())}` : 'Builds:  <none>',
  ];
}
