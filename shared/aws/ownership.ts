// Berth's ownership tags on AWS resources it creates at run time (ECR repositories, ECS tasks),
// and the error for a resource that does not carry them: Berth never changes what it did not make.
import { BerthError } from '../errors.ts';

export const MANAGED_TAG = 'berth:managed';
export const PROJECT_TAG = 'berth:project';

/** Whether tags (as a plain map) say Berth made the resource for `project` (any project when omitted). */
export function ownedByBerth(tags: Record<string, string | undefined>, project?: string): boolean {
  return tags[MANAGED_TAG] === 'true' && (project === undefined || tags[PROJECT_TAG] === project);
}

export class NotOwnedError extends BerthError {
  constructor(what: string) {
    super(409, 'NotOwned', `${what} was not made by Berth (it lacks the tag ${MANAGED_TAG}=true for this project); Berth leaves it alone`, {
      suggestion: 'remove or rename the resource by hand if it is in the way, or choose another name',
    });
  }
}
