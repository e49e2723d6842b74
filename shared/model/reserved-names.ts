// Names the platform needs for itself. A project's name becomes the first part of its image
// repositories (`<registry>/<project>/<stream>` locally, `berth/<project>/<stream>` on ECR), so a
// project named after the namespace of the platform's builder images (`berth/python` locally,
// `berth/s2i/*` and `berth/builder` on ECR) could overwrite or delete them: nobody may have such a
// project. Other names are kept for the platform's own projects (`openshift`, the shared images
// and templates) and for what users would take as the platform's (`default`, `system`,
// `kube-*`, `berth-*`, `openshift-*`): only cluster-admins may create those.

/** First parts of image repositories that hold the platform's images: never a project's. */
export const PLATFORM_IMAGE_NAMESPACES: ReadonlySet<string> = new Set(['berth', 's2i', 'builder']);

/** The platform's shared project: image streams (and templates) every user may read and build from. */
export const SHARED_PROJECT = 'openshift';

const RESERVED: ReadonlySet<string> = new Set(['openshift', 'default', 'system', 'kube', 'kubernetes']);
const RESERVED_PREFIXES = ['kube-', 'berth-', 'openshift-', 'system-'];

/**
 * Why a tenant may not create a project (or user) named `name`, or undefined when they may.
 * @example reservedNameProblem('berth') // 'is reserved for the platform …'
 */
export function reservedNameProblem(name: string): string | undefined {
  if (PLATFORM_IMAGE_NAMESPACES.has(name)) return `"${name}" holds the platform's own images and cannot be a project`;
  if (RESERVED.has(name) || RESERVED_PREFIXES.some((p) => name.startsWith(p))) return `"${name}" is reserved for the platform (as are default, system, openshift, kube-*, berth-*, openshift-*)`;
  return undefined;
}

/** Whether even a cluster-admin may not use `name` for a project: the platform's images live there. */
export const isPlatformImageNamespace = (name: string): boolean => PLATFORM_IMAGE_NAMESPACES.has(name);
