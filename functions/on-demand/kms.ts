// The KMS secret box and its client, loaded by the first seal or open (functions/wire.ts): a
// request that touches no secret neither loads nor sets up the KMS client.
import { KMSClient } from '@aws-sdk/client-kms';
import { KmsSecretBox } from '../../shared/secrets/kms.ts';

export const kmsSecretBox = (region: string | undefined, keyId: string): KmsSecretBox => new KmsSecretBox({ client: new KMSClient({ region }), keyId });
