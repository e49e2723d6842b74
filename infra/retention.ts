// The one log retention every Berth log group gets, from context berth:logRetentionDays.
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { BerthConfig } from './config.ts';

const ALLOWED = Object.values(RetentionDays).filter((v): v is RetentionDays => typeof v === 'number' && v > 0).sort((a, b) => a - b);

/** The smallest retention CloudWatch Logs offers that keeps logs at least as long as asked. */
export function retentionOf(config: Pick<BerthConfig, 'logRetentionDays'>): RetentionDays {
  return ALLOWED.find((days) => days >= config.logRetentionDays) ?? RetentionDays.INFINITE;
}
