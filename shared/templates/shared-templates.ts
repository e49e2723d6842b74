// The templates every user may instantiate: the YAML files of the repository's templates/
// folder, kept as Template objects in the shared `openshift` project. Run at start-up; makes
// what is missing and updates what differs, so an edited file reaches the store on the next start.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { SHARED_PROJECT } from '../images/namespace.ts';
import { createProject } from '../project/create.ts';
import type { ObjectStore } from '../store/ports.ts';
import type { BerthObject } from '../model/types.ts';
import { templateSpec } from './types.ts';
import { isDeepStrictEqual } from 'node:util';

/** The repository's templates/ folder. */
export const TEMPLATES_DIR = fileURLToPath(new URL('../../templates/', import.meta.url));

interface TemplateFile {
  name: string;
  annotations: Record<string, string>;
  spec: unknown;
}

/** The templates of `dir`, checked (a broken file throws, naming it). */
export function readTemplates(dir: string = TEMPLATES_DIR): TemplateFile[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.yaml'))
    .sort()
    .map((f) => {
      const doc = parse(readFileSync(join(dir, f), 'utf8'));
      const spec = templateSpec.safeParse({ parameters: doc.parameters, objects: doc.objects, labels: doc.labels, message: doc.message });
      if (doc.kind !== 'Template' || !doc.metadata?.name || !spec.success) throw new Error(`${f}: not a valid Template${spec.success ? '' : `: ${spec.error.message}`}`);
      return { name: doc.metadata.name, annotations: doc.metadata.annotations ?? {}, spec: spec.data };
    });
}

/**
 * Makes the shared project (when it does not exist yet) and its templates; idempotent.
 * Returns the names of the templates written.
 */
export async function ensureSharedTemplates(store: ObjectStore, dir: string = TEMPLATES_DIR, admin = 'admin'): Promise<string[]> {
  if (!(await store.get({ kind: 'Project', project: '', name: SHARED_PROJECT }))) {
    await createProject(store, { name: SHARED_PROJECT, requester: admin, spec: { displayName: 'Shared images and templates' } }).catch((err) => {
      if ((err as { status?: number }).status !== 409) throw err;
    });
  }
  const written: string[] = [];
  for (const t of readTemplates(dir)) {
    const ref = { kind: 'Template', project: SHARED_PROJECT, name: t.name };
    const stored = await store.get<BerthObject>(ref);
    if (!stored) {
      await store.create({ kind: 'Template', metadata: { name: t.name, project: SHARED_PROJECT, annotations: t.annotations }, spec: t.spec });
    } else if (!isDeepStrictEqual(stored.spec, t.spec) || !isDeepStrictEqual(stored.metadata.annotations, t.annotations)) {
      await store.replace(ref, { resourceVersion: stored.metadata.resourceVersion, labels: stored.metadata.labels, annotations: t.annotations, spec: t.spec });
    } else continue;
    written.push(t.name);
  }
  return written;
}

