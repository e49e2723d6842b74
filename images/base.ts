// The local base of the builder image: a Debian root filesystem made with mmdebstrap from the
// machine's own apt sources (no mirror is named here), imported through the Engine API.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { splitTag, type EngineClient } from '../shared/builds/s2i/ports.ts';
import { SUITE } from './recipe.ts';

/** The host's apt source files, which mmdebstrap pastes into the new system's sources. */
export function hostAptSources(): string[] {
  const out: string[] = [];
  const list = '/etc/apt/sources.list';
  if (existsSync(list) && readFileSync(list, 'utf8').split('\n').some((l) => /^\s*deb\s/.test(l))) out.push(list);
  const dir = '/etc/apt/sources.list.d';
  if (existsSync(dir)) for (const f of readdirSync(dir).sort()) if (/\.(list|sources)$/.test(f)) out.push(join(dir, f));
  if (out.length === 0) throw new Error('no apt sources found in /etc/apt; mmdebstrap needs them to make the builder base');
  return out;
}

export function mmdebstrapArgs(packages: string[], sources: string[]): string[] {
  return [
    '--variant=minbase',
    `--include=${packages.join(',')}`,
    '--aptopt=APT::Install-Recommends "false"',
    '--dpkgopt=path-exclude=/usr/share/doc/*',
    '--dpkgopt=path-include=/usr/share/doc/*/copyright',
    '--dpkgopt=path-exclude=/usr/share/man/*',
    '--dpkgopt=path-exclude=/usr/share/locale/*',
    '--skip=output/dev',
    '--quiet',
    SUITE,
    '-',
    ...sources,
  ];
}

/** Runs mmdebstrap and imports its tar as `ref`, labelled; returns the image id. */
export async function makeBase(engine: EngineClient, ref: string, packages: string[], labels: Record<string, string>, log: (line: string) => void): Promise<string> {
  const args = mmdebstrapArgs(packages, hostAptSources());
  log(`mmdebstrap ${args.join(' ')} | import as ${ref}`);
  const child = spawn('mmdebstrap', args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
  const exited = new Promise<number>((resolve, reject) => {
    child.once('error', (err) => reject(new Error(`mmdebstrap could not start: ${err.message} (Debian package mmdebstrap)`)));
    child.once('close', (code) => resolve(code ?? 1));
  });
  const [repo, tag] = splitTag(ref);
  const changes = [...Object.entries(labels).map(([k, v]) => `LABEL ${k}="${v}"`), 'CMD ["/bin/bash"]'];
  const [id, code] = await Promise.all([engine.importImage(child.stdout, repo, tag, changes), exited]);
  if (code !== 0) throw new Error(`mmdebstrap failed with code ${code}: ${stderr.trim()}`);
  return id;
}
