// The quota and limit-range errors the API maps: a write over a quota is 403 Forbidden, as in
// Kubernetes; a container outside a limit range is 422 naming the limit.
import { BerthError, ValidationError } from '../errors.ts';
import { refusalMessage, type Refusal } from './admission.ts';
import { formatAmount } from './resources.ts';

export class QuotaExceededError extends BerthError {
  readonly refusal: Refusal;

  constructor(refusal: Refusal) {
    super(403, 'Forbidden', refusalMessage(refusal), {
      details: { quota: refusal.quota, resource: refusal.resource, requested: formatAmount(refusal.resource, refusal.requested), used: formatAmount(refusal.resource, refusal.used), hard: formatAmount(refusal.resource, refusal.hard) },
      suggestion: 'delete something the quota counts, or ask a cluster admin for a larger quota (`berth describe quota`)',
    });
    this.refusal = refusal;
  }
}

/** A container outside a LimitRange: 422 on the field, naming the limit range. */
export function limitRangeError(field: string, message: string): ValidationError {
  return ValidationError.field(field, message);
}
