// The routers' shared default certificate: given one (as router hosts read it from their secret),
// the agent serves it for any host no route's certificate matches, so every router presents the
// same certificate; without one it makes a self-signed *.<apps domain> of its own. What is not a
// certificate and key is refused before anything is written.
import { X509Certificate } from 'node:crypto';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from 'node:tls';
import { describe, expect, it, onTestFinished } from 'vitest';
import { startRouterAgent } from '../../agents/router/agent.ts';
import { installDefaultCert } from '../../agents/router/generations.ts';
import { freePort } from '../../shared/local/ports.ts';
import { freshTable } from '../support/dynamo.ts';
import { selfSigned } from './certs.ts';

/** The certificate the router presents to a client asking for `servername`. */
function servedCertificate(port: number, servername: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port, servername, rejectUnauthorized: false }, () => {
      const cert = socket.getPeerX509Certificate();
      socket.end();
      if (cert) resolve(cert.fingerprint256);
      else reject(new Error('no certificate presented'));
    });
    socket.on('error', reject);
  });
}

describe('the routers\' shared default certificate', () => {
  it('is what two routers given it both present for a host no route covers', async () => {
    const t = await freshTable();
    const shared = selfSigned('*.apps.example.com');
    const want = new X509Certificate(shared.cert).fingerprint256;
    const served: string[] = [];
    for (let i = 0; i < 2; i++) {
      const [httpPort, httpsPort] = [await freePort(), await freePort()];
      const agent = await startRouterAgent({ store: t.store, httpPort, httpsPort, domain: 'apps.example.com', dir: mkdtempSync(join(tmpdir(), 'berth-router-cert-')), pollMs: 0, defaultCertificate: `${shared.cert}${shared.key}` });
      onTestFinished(() => agent.stop());
      served.push(await servedCertificate(httpsPort, 'shop-demo.apps.example.com'));
    }
    expect(served).toEqual([want, want]);
  });

  it('refuses what is not a certificate and its key, writing nothing', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'berth-router-cert-')), 'default.pem');
    expect(() => installDefaultCert(file, 'a-random-placeholder-secret')).toThrow('must hold a PEM certificate (chain) and its private key');
    expect(() => installDefaultCert(file, selfSigned('x.example.com').cert)).toThrow();
    expect(existsSync(file)).toBe(false);
  });
});
