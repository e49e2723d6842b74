// Session Manager's StartSession over its JSON protocol (Systems Manager API Reference,
// "StartSession"; awsJson1_1: POST / with `X-Amz-Target: AmazonSSM.StartSession`), signed with
// Signature Version 4. `@aws-sdk/client-ssm` is not among the installed packages; this one call
// stands in for its StartSessionCommand behind the same port (ecs-exec.ts SsmSessionsApi), and
// goes once the client is added.
import { createHash, createHmac, type Hash, type Hmac } from 'node:crypto';
import type { AwsCredentialIdentity, Provider, SourceData } from '@smithy/types';
import { SignatureV4 } from '@smithy/signature-v4';
import type { SsmSessionsApi } from './ecs-exec.ts';

export interface SsmSessionsOptions {
  region: string;
  credentials: AwsCredentialIdentity | Provider<AwsCredentialIdentity>;
  /** The service's endpoint; `https://ssm.<region>.amazonaws.com` unless given (tests: a loopback server). */
  endpoint?: string;
  fetch?: typeof fetch;
}

/** SHA-256 (keyed: HMAC) for the signer, from node:crypto. */
class NodeSha256 {
  private h: Hash | Hmac;
  private readonly secret?: string | Uint8Array;
  constructor(secret?: SourceData) {
    this.secret = secret === undefined || typeof secret === 'string' ? secret : new Uint8Array(ArrayBuffer.isView(secret) ? secret.buffer.slice(secret.byteOffset, secret.byteOffset + secret.byteLength) : secret);
    this.h = this.fresh();
  }
  private fresh(): Hash | Hmac {
    return this.secret ? createHmac('sha256', this.secret) : createHash('sha256');
  }
  update(data: SourceData): void {
    this.h.update(typeof data === 'string' ? data : ArrayBuffer.isView(data) ? new Uint8Array(data.buffer, data.byteOffset, data.byteLength) : new Uint8Array(data));
  }
  async digest(): Promise<Uint8Array> {
    return new Uint8Array(this.h.digest());
  }
  reset(): void {
    this.h = this.fresh();
  }
}

/** An SSM error answer as the SDK would throw it: its `__type` as the name. */
export class SsmError extends Error {}

/** StartSession through a signed request. */
export function ssmSessions(o: SsmSessionsOptions): SsmSessionsApi {
  const signer = new SignatureV4({ service: 'ssm', region: o.region, credentials: o.credentials, sha256: NodeSha256 });
  const endpoint = new URL(o.endpoint ?? `https://ssm.${o.region}.amazonaws.com`);
  const doFetch = o.fetch ?? fetch;
  return {
    async startSession(input) {
      const body = JSON.stringify(input);
      const signed = await signer.sign({
        method: 'POST',
        protocol: endpoint.protocol,
        hostname: endpoint.hostname,
        ...(endpoint.port ? { port: Number(endpoint.port) } : {}),
        path: '/',
        headers: { host: endpoint.host, 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': 'AmazonSSM.StartSession' },
        body,
      });
      const res = await doFetch(new URL('/', endpoint), { method: 'POST', headers: signed.headers, body });
      const answer = (await res.json().catch(() => ({}))) as Record<string, unknown>;
      if (!res.ok) {
        const type = String(answer.__type ?? `HTTP ${res.status}`).split('#').pop()!;
        throw Object.assign(new SsmError(String(answer.message ?? answer.Message ?? type)), { name: type, $metadata: { httpStatusCode: res.status } });
      }
      return answer as { SessionId?: string; StreamUrl?: string; TokenValue?: string };
    },
  };
}
