// The project capability's vocabulary: a Project as stored.
import type { ProjectSpec, ProjectStatus } from '../model/kinds.ts';
import type { BerthObject } from '../model/types.ts';

export type Project = BerthObject<ProjectSpec, Partial<ProjectStatus>>;

export const projectRef = (name: string) => ({ kind: 'Project', project: '', name });
