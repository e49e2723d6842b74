// The claims Lambda: persistent volume claims on AWS, the one function in the VPC's private
// subnets with the claims file system mounted (its /berth, at BERTH_CLAIMS_MOUNT). On its
// schedule it makes each new claim's EFS access point and lets the claim's project mount it
// (shared/aws/efs-claims.ts), deletes a deleted claim's access point once no pod uses it, then
// wipes its directory and lets the claim go (shared/volumes/claim-data.ts). It reaches the table
// through the VPC's DynamoDB endpoint, EFS and IAM through the NAT gateway.
import { claimReconciler } from '../../shared/volumes/claim-reconciler.ts';
import { CLAIM_DATA_FINALIZER, claimDataReconciler, wipeUnder } from '../../shared/volumes/claim-data.ts';
import { reconcilerErrorReporter } from '../../shared/fleet/loop-errors.ts';
import { resyncAll } from '../../shared/reconcile/resync.ts';
import { DynamoObjectStore } from '../../shared/store/dynamo.ts';
import { lazyLogger } from '../lazy-logger.ts';
import { dynamoClientFrom } from '../wire.ts';
import { efsClaims, projectRoles } from '../wire-builds.ts';

const env = process.env;
const mount = env.BERTH_CLAIMS_MOUNT;
if (!mount) throw new Error('BERTH_CLAIMS_MOUNT is not set: the claims file system is mounted there');
const tableName = env.TABLE_NAME;
if (!tableName) throw new Error('TABLE_NAME is not set');
const storage = efsClaims(env, projectRoles(env));
if (!storage) throw new Error('BERTH_CLAIMS_FILE_SYSTEM_ID is not set: claims are access points on that file system');
// Only claims and pods are read, and claims written: no secrets, so no key.
const store = new DynamoObjectStore({ client: dynamoClientFrom(env), tableName });
const logger = lazyLogger({ level: env.LOG_LEVEL ?? 'info' });
const reconcilers = [claimReconciler(store, storage, { alsoFinalizers: [CLAIM_DATA_FINALIZER] }), claimDataReconciler(store, wipeUnder(mount))];

const reportError = reconcilerErrorReporter(logger);

export const handler = async () => {
  // A claim still failing after its retries is counted (volume-claims) and alarmed on, not only logged.
  const summary = await resyncAll(reconcilers, { logger, onError: reportError });
  logger.info(summary, 'claims reconciled');
  return summary;
};
