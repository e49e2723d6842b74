// Where each S2I script comes from (source-to-image pkg/scripts): for each script, `.s2i/bin/` in
// the source first, then the build's scripts URL, then the builder image's
// io.openshift.s2i.scripts-url label. `image:///dir` names a directory inside the image; any
// other scripts URL is a directory in the source (no network is reachable from builds).
import { posix } from 'node:path';
import { S2IError, SCRIPTS_URL_LABEL, ScriptsNotFoundError } from './errors.ts';
import { sourceFile } from './source.ts';
import { SCRIPT_NAMES, type ImageFacts, type ScriptName, type Scripts, type ScriptSource } from './types.ts';

export { SCRIPTS_URL_LABEL };
export const DEPRECATED_SCRIPTS_URL_LABEL = 'io.s2i.scripts-url';
export const DESTINATION_LABEL = 'io.openshift.s2i.destination';
export const DEPRECATED_DESTINATION_LABEL = 'io.s2i.destination';
export const ASSEMBLE_USER_LABEL = 'io.openshift.s2i.assemble-user';
export const DEFAULT_DESTINATION = '/tmp';

const REQUIRED: ScriptName[] = ['assemble', 'run'];

/** The builder image's scripts URL: its label, the deprecated label, or STI_SCRIPTS_URL in its env. */
export function imageScriptsUrl(image: ImageFacts): string | undefined {
  const fromEnv = image.env.find((e) => e.startsWith('STI_SCRIPTS_URL='))?.slice('STI_SCRIPTS_URL='.length);
  return image.labels[SCRIPTS_URL_LABEL] || image.labels[DEPRECATED_SCRIPTS_URL_LABEL] || fromEnv || undefined;
}

/** Where the upload (src/, scripts/, artifacts/) goes inside the container. */
export function imageDestination(image: ImageFacts): string {
  return image.labels[DESTINATION_LABEL] || image.labels[DEPRECATED_DESTINATION_LABEL] || DEFAULT_DESTINATION;
}

async function fromUrl(url: string, sourceDir: string, name: ScriptName): Promise<ScriptSource | undefined> {
  if (url.startsWith('image://')) return { kind: 'image', path: posix.join(url.slice('image://'.length), name) };
  if (/^[a-z][a-z0-9+.-]*:/i.test(url)) {
    throw new S2IError('UnsupportedScriptsUrl', `scripts URL "${url}" is not supported`, 'use image:///path/in/the/builder or a directory in the source');
  }
  const dir = posix.normalize(url);
  if (dir.startsWith('/') || dir.split('/').includes('..')) {
    throw new S2IError('UnsupportedScriptsUrl', `scripts directory "${url}" must be relative to the source, without ".."`, 'use a path such as .s2i/custom-bin');
  }
  const file = await sourceFile(sourceDir, posix.join(dir, name));
  return file ? { kind: 'upload', file } : undefined;
}

/** Resolves every script; throws when assemble or run is found nowhere. */
export async function resolveScripts(sourceDir: string, scriptsUrl: string | undefined, image: ImageFacts, imageName?: string): Promise<Scripts> {
  const labelUrl = imageScriptsUrl(image);
  const scripts: Scripts = {};
  for (const name of SCRIPT_NAMES) {
    const inSource = await sourceFile(sourceDir, `.s2i/bin/${name}`);
    if (inSource) scripts[name] = { kind: 'upload', file: inSource };
    else if (scriptsUrl) scripts[name] = await fromUrl(scriptsUrl, sourceDir, name);
    if (!scripts[name] && labelUrl) scripts[name] = await fromUrl(labelUrl, sourceDir, name);
    if (!scripts[name]) delete scripts[name];
  }
  const missing = REQUIRED.filter((n) => !scripts[n]);
  if (missing.length && !scriptsUrl && !labelUrl && imageName) throw new ScriptsNotFoundError(missing, '', imageName);
  if (missing.length) throw new ScriptsNotFoundError(missing, `looked in .s2i/bin${scriptsUrl ? `, ${scriptsUrl}` : ''}${labelUrl ? `, ${labelUrl}` : ''}`);
  return scripts;
}

/** The path a script runs from inside the container. */
export function scriptPath(source: ScriptSource, name: ScriptName, destination: string): string {
  return source.kind === 'image' ? source.path : posix.join(destination, 'scripts', name);
}
