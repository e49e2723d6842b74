// Each project's pods run as UIDs from a block of UID_BLOCK that belongs to that project alone,
// as an OpenShift namespace's `openshift.io/sa.scc.uid-range`. The block is claimed when the
// project is created, in the same all-or-nothing write, by a cluster-scoped `UidBlock` object
// named by the block's number: two projects can never hold the same block. Blocks are not
// handed out again after a project is deleted, so files a deleted project's pods left on a
// volume never become another project's.
import { AlreadyExistsError, BerthError, ConflictError, NotFoundError } from '../errors.ts';
import type { BerthObject, NewObject } from '../model/types.ts';
import type { ObjectStore } from '../store/ports.ts';
import { projectUid, UID_BASE, UID_BLOCK } from '../fleet/pod-container.ts';

/** The project annotation naming its block: `<first uid>/<size>`, as OpenShift writes it. */
export const UID_RANGE_ANNOTATION = 'berth.io/uid-range';
const BLOCKS = 100_000;
/** Blocks probed after the preferred one before giving up (the table is nowhere near full then). */
const PROBES = 64;

const blockName = (n: number) => `block-${n}`;
const firstUid = (n: number) => UID_BASE + n * UID_BLOCK;

/**
 * Creates `project` (with the objects created alongside it) and claims a UID block for it in the
 * same write. The preferred block follows from the name; a taken block moves on to the next.
 * @example const [project] = await createProjectWithUidRange(store, projectObject, [adminBinding])
 */
export async function createProjectWithUidRange(store: ObjectStore, project: NewObject, alongside: NewObject[]): Promise<BerthObject[]> {
  const preferred = (projectUid(project.metadata.name) - UID_BASE) / UID_BLOCK;
  for (let i = 0; i < PROBES; i++) {
    const n = (preferred + i) % BLOCKS;
    const annotated: NewObject = {
      ...project,
      metadata: { ...project.metadata, annotations: { ...project.metadata.annotations, [UID_RANGE_ANNOTATION]: `${firstUid(n)}/${UID_BLOCK}` } },
    };
    const claim: NewObject = { kind: 'UidBlock', metadata: { name: blockName(n), project: '' }, spec: { project: project.metadata.name } };
    try {
      return await store.createMany([annotated, ...alongside, claim]);
    } catch (err) {
      // A taken block, or a claim racing another for the same block: try the next one.
      if (err instanceof AlreadyExistsError && err.message.startsWith('UidBlock ')) continue;
      if (err instanceof ConflictError) continue;
      throw err;
    }
  }
  throw new BerthError(503, 'NoUidBlock', `no free UID block near block ${preferred} for project "${project.metadata.name}"`, { suggestion: 'retry with another project name' });
}

/**
 * The UID a project's pods run as: the first of its block, from the project's annotation;
 * projects made before blocks were claimed keep the UID derived from their name.
 * @example uidOfProject(project) // 1_000_120_000
 */
export function uidOfProject(project: Pick<BerthObject, 'metadata'>): number {
  return firstUidOf(project) ?? projectUid(project.metadata.name);
}

/** The first UID of the block a project's annotation names, if it names one. */
function firstUidOf(project: Pick<BerthObject, 'metadata'>): number | undefined {
  const m = /^(\d+)\/(\d+)$/.exec(project.metadata.annotations?.[UID_RANGE_ANNOTATION] ?? '');
  return m ? Number(m[1]) : undefined;
}

/**
 * The UID of each project's pods, read from its Project once and then remembered (a project's
 * block never changes). A project that does not exist gets no pods: NotFoundError.
 * @example const uidFor = projectUids(store); await uidFor('shop') // 1_000_120_000
 */
export function projectUids(store: ObjectStore): (project: string) => Promise<number> {
  const known = new Map<string, number>();
  return async (project) => {
    let uid = known.get(project);
    if (uid === undefined) {
      const p = await store.get({ kind: 'Project', project: '', name: project });
      if (!p) throw new NotFoundError('Project', project);
      uid = uidOfProject(p);
      known.set(project, uid);
    }
    return uid;
  };
}

/**
 * The reference of the UidBlock a project claimed, from its annotation; undefined for projects
 * made before blocks were claimed.
 * @example uidBlockOf(project) // { kind: 'UidBlock', project: '', name: 'block-12' }
 */
export function uidBlockOf(project: Pick<BerthObject, 'metadata'>): { kind: string; project: string; name: string } | undefined {
  const first = firstUidOf(project);
  if (first === undefined) return undefined;
  const n = (first - UID_BASE) / UID_BLOCK;
  return Number.isInteger(n) && n >= 0 ? { kind: 'UidBlock', project: '', name: blockName(n) } : undefined;
}
