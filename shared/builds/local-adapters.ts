// Local adapters of the build ports: the Distribution registry on loopback, logs and uploaded
// sources as files under PAAS_HOME.
import { createReadStream, createWriteStream, existsSync } from 'node:fs';
import { appendFile, mkdir, open, rm, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { UploadTooLargeError } from './upload-limit.ts';
import type { ObjectRef } from '../model/types.ts';
import type { BuildLogs, ImageRegistry, RegistryAuth, RegistryRepository, RegistryTag, SourceArchives } from './ports.ts';
import { wholeUtf8Length } from './utf8.ts';
import { tenantNamespace } from './tenant-namespace.ts';
import { RegistryHttp, type BasicCredentials } from '../registry/http.ts';
import { registryCatalog, registryTags } from '../registry/resync.ts';
import { repositoryParts } from '../registry/scopes.ts';

const fileOf = (dir: string, ref: ObjectRef, ext: string) => join(dir, ref.project, `${ref.name}${ext}`);

export class LocalRegistry implements ImageRegistry {
  private readonly http: RegistryHttp;

  /**
   * `host` is 127.0.0.1:<port>; `onDeleted` hears of deleted images (their blobs wait for the
   * registry's garbage collection); `credentials` are the platform's, for a registry with token
   * authentication (npm run up's).
   */
  constructor(
    private readonly host: string,
    private readonly onDeleted?: () => void,
    private readonly credentials?: BasicCredentials,
  ) {
    this.http = new RegistryHttp(credentials);
  }

  repository(project: string, imageStream: string): string {
    return `${this.host}/${tenantNamespace(project)}/${imageStream}`;
  }

  async ensureRepository(): Promise<void> {}

  async auth(): Promise<RegistryAuth | undefined> {
    return this.credentials && { ...this.credentials, serveraddress: this.host };
  }

  async deleteRepository(project: string, imageStream: string): Promise<void> {
    const base = `http://${this.host}/v2/${tenantNamespace(project)}/${imageStream}`;
    const tags = await this.http.fetch(`${base}/tags/list`);
    if (tags.status === 404) return;
    const { tags: names } = (await tags.json()) as { tags: string[] | null };
    const accept = 'application/vnd.docker.distribution.manifest.v2+json, application/vnd.oci.image.manifest.v1+json';
    for (const tag of names ?? []) {
      const head = await this.http.fetch(`${base}/manifests/${tag}`, { method: 'HEAD', headers: { Accept: accept } });
      const digest = head.headers.get('docker-content-digest');
      if (digest) await this.deleteImage(project, imageStream, digest);
    }
    this.onDeleted?.();
  }

  async deleteProjectRepositories(project: string): Promise<void> {
    for await (const repo of this.listRepositories(tenantNamespace(project))) await this.deleteRepository(project, repo.stream);
  }

  async *listRepositories(project?: string): AsyncGenerator<RegistryRepository> {
    for await (const name of registryCatalog(this.http, this.host)) {
      const parts = repositoryParts(name);
      if (parts && (project === undefined || parts.project === project)) yield { ...parts, name, reference: `${this.host}/${name}` };
    }
  }

  async listTags(repository: RegistryRepository): Promise<RegistryTag[]> {
    return registryTags(this.http, this.host, repository.name);
  }

  /** Deletes one image (its manifest, and every tag naming it) by digest; a missing one is fine. */
  async deleteImage(project: string, imageStream: string, digest: string): Promise<void> {
    const res = await this.http.fetch(`http://${this.host}/v2/${tenantNamespace(project)}/${imageStream}/manifests/${digest}`, { method: 'DELETE' });
    if (!res.ok && res.status !== 404) throw new Error(`the registry refused to delete ${project}/${imageStream}@${digest}: HTTP ${res.status}`);
    this.onDeleted?.();
  }
}

export class FileBuildLogs implements BuildLogs {
  constructor(private readonly dir: string) {}

  async append(build: ObjectRef, text: string): Promise<void> {
    const file = fileOf(this.dir, build, '.log');
    await mkdir(dirname(file), { recursive: true });
    await appendFile(file, text);
  }

  async read(build: ObjectRef, offset: number): Promise<{ text: string; next: number; more: boolean }> {
    const file = fileOf(this.dir, build, '.log');
    if (!existsSync(file)) return { text: '', next: offset, more: false };
    const size = (await stat(file)).size;
    if (offset >= size) return { text: '', next: offset, more: false };
    const fh = await open(file, 'r');
    try {
      const buf = Buffer.alloc(Math.min(size - offset, 4 * 1024 * 1024));
      const { bytesRead } = await fh.read(buf, 0, buf.length, offset);
      // A read cut at the size limit ends before a character it would split; the next read has it.
      const whole = offset + bytesRead < size ? wholeUtf8Length(buf.subarray(0, bytesRead)) : bytesRead;
      return { text: buf.subarray(0, whole).toString('utf8'), next: offset + whole, more: offset + whole < size };
    } finally {
      await fh.close();
    }
  }

  async delete(build: ObjectRef): Promise<void> {
    await rm(fileOf(this.dir, build, '.log'), { force: true });
  }
}

export class FileSourceArchives implements SourceArchives {
  constructor(private readonly dir: string) {}

  async put(build: ObjectRef, archive: NodeJS.ReadableStream, maxBytes: number): Promise<void> {
    const file = fileOf(this.dir, build, '.tar');
    await mkdir(dirname(file), { recursive: true });
    let seen = 0;
    const limit = new Transform({
      transform(chunk: Buffer, _enc, done) {
        seen += chunk.length;
        if (seen > maxBytes) done(new UploadTooLargeError(maxBytes));
        else done(null, chunk);
      },
    });
    try {
      await pipeline(archive, limit, createWriteStream(file, { mode: 0o600 }));
    } catch (err) {
      await rm(file, { force: true });
      throw err;
    }
  }

  async get(build: ObjectRef): Promise<NodeJS.ReadableStream | undefined> {
    const file = fileOf(this.dir, build, '.tar');
    return existsSync(file) ? createReadStream(file) : undefined;
  }

  async delete(build: ObjectRef): Promise<void> {
    await rm(fileOf(this.dir, build, '.tar'), { force: true });
  }
}
