// The registry namespace of a project's images is the project's name; the platform's own images
// live under names no project may have (model/reserved-names.ts). A project that got such a name
// before it was reserved still never reaches them: its pushes and deletions are refused here.
import { TerminalError } from '../errors.ts';
import { isPlatformImageNamespace } from '../model/reserved-names.ts';

/**
 * `project` as the first part of its image repositories; throws for the platform's namespaces.
 * @example tenantNamespace('shop') // 'shop'; tenantNamespace('berth') // throws
 */
export function tenantNamespace(project: string): string {
  if (isPlatformImageNamespace(project)) throw new TerminalError(`project "${project}" has the name of the platform's image namespace; its images cannot be pushed or removed there`);
  return project;
}
