// Fake S2I builder images in the style of source-to-image's own integration images: a tiny
// busybox base (Debian's busybox-static, copied into an empty image), the S2I scripts baked in
// and found through the io.openshift.s2i.scripts-url label (image:///…), a numeric non-root
// user. Made through Docker Engine at test time, so they need nothing from a network.
import { copyFile, mkdtemp, mkdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dockerfileBuild } from '../../shared/builds/docker-build.ts';
import { docker } from './support.ts';

/** Where Debian's busybox-static puts its binary (a test prerequisite). */
export const BUSYBOX = '/bin/busybox';
/** The busybox base, with the applets linked (sh, env, tar …). */
export const BUSYBOX_BASE = 'berth-test/busybox:1';
/** The same binary with no applet links: no /usr/bin/env. */
export const BARE_BUSYBOX = 'berth-test/busybox-bare:1';

/** The scripts of a fake builder: assemble copies the source into /tmp/app, run serves a line. */
export const FAKE_SCRIPTS: Record<string, string> = {
  assemble: ['#!/bin/sh', 'set -e', 'echo "---> fake assemble as $(id -u)"', 'mkdir -p /tmp/app', 'cp -R /tmp/src/. /tmp/app/', 'if [ -d /tmp/artifacts ]; then echo "---> restored $(ls /tmp/artifacts | wc -l) artifacts"; cp -R /tmp/artifacts/. /tmp/app/; fi', ''].join('\n'),
  run: ['#!/bin/sh', 'exec cat /tmp/app/message', ''].join('\n'),
  // A tar stream as GNU tar writes it: one whole 10 KiB record, the end padded with zeros
  // (busybox's tar stops after the end-of-archive blocks; the padding is added here).
  'save-artifacts': ['#!/bin/sh', 'cd /tmp/app && tar cf - message && head -c 8192 /dev/zero', ''].join('\n'),
};

async function imageExists(ref: string): Promise<boolean> {
  return docker.getImage(ref).inspect().then(() => true, () => false);
}

async function buildFrom(tag: string, files: Record<string, string | { text: string; mode: number } | { copy: string }>, dockerfile: string): Promise<string> {
  const ctx = await mkdtemp(join(tmpdir(), 'berth-fake-builder-'));
  const all: Record<string, string | { text: string; mode: number } | { copy: string }> = { ...files, Dockerfile: dockerfile };
  for (const [rel, content] of Object.entries(all)) {
    const path = join(ctx, rel);
    await mkdir(join(path, '..'), { recursive: true });
    if (typeof content === 'string') await writeFile(path, content);
    else if ('copy' in content) await copyFile(content.copy, path);
    else await writeFile(path, content.text, { mode: content.mode });
  }
  const lines: string[] = [];
  await dockerfileBuild(docker, { contextDir: ctx, dockerfilePath: 'Dockerfile', buildArgs: [], noCache: false, tag, log: (l) => lines.push(l) });
  return tag;
}

/** The busybox bases (made once per machine; the image cache keeps them). */
export async function busyboxBases(): Promise<void> {
  if (!(await imageExists(BARE_BUSYBOX))) {
    await buildFrom(BARE_BUSYBOX, { busybox: { copy: BUSYBOX } }, ['FROM scratch', 'COPY busybox /bin/busybox', ''].join('\n'));
  }
  if (!(await imageExists(BUSYBOX_BASE))) {
    await buildFrom(
      BUSYBOX_BASE,
      {},
      [
        `FROM ${BARE_BUSYBOX}`,
        'RUN ["/bin/busybox", "mkdir", "-p", "/usr/bin", "/usr/sbin", "/sbin", "/tmp"]',
        'RUN ["/bin/busybox", "--install", "-s"]',
        'RUN chmod 1777 /tmp',
        '',
      ].join('\n'),
    );
  }
}

export interface FakeBuilderOptions {
  /** Scripts baked in under /usr/libexec/s2i (default FAKE_SCRIPTS). */
  scripts?: Record<string, string>;
  /** The base image (default the busybox base). */
  from?: string;
  /** Labels of the builder; the scripts URL label is set unless `noScriptsLabel`. */
  labels?: Record<string, string>;
  noScriptsLabel?: boolean;
  user?: string;
}

/** A fake builder image tagged `tag`, from the busybox base. */
export async function fakeBuilder(tag: string, o: FakeBuilderOptions = {}): Promise<string> {
  await busyboxBases();
  const scripts = o.scripts ?? FAKE_SCRIPTS;
  const files = Object.fromEntries(Object.entries(scripts).map(([name, text]) => [`s2i/${name}`, { text, mode: 0o755 }]));
  const labels = { ...(o.noScriptsLabel ? {} : { 'io.openshift.s2i.scripts-url': 'image:///usr/libexec/s2i' }), ...(o.labels ?? {}) };
  const dockerfile = [
    `FROM ${o.from ?? BUSYBOX_BASE}`,
    'COPY s2i/ /usr/libexec/s2i/',
    ...Object.entries(labels).map(([k, v]) => `LABEL ${JSON.stringify(k)}=${JSON.stringify(v)}`),
    `USER ${o.user ?? '1001'}`,
    '',
  ].join('\n');
  return buildFrom(tag, files, dockerfile);
}
