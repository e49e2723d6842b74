// Makes the builder images and publishes them in the local registry, where builds (and every
// container host) pull them from: `<registry>/berth/python:3.11`.
import type Docker from 'dockerode';
import type { BuilderImage } from '../../shared/api/env.ts';
import { ensureBuilderImages, type Variant } from '../../images/build.ts';
import { pushImage } from '../../shared/builds/agent.ts';

export async function publishBuilderImages(docker: Docker, registryHost: string, variant: Variant, say: (line: string) => void): Promise<BuilderImage[]> {
  say(`making the Python builder image (${variant} variant; the first start takes a few minutes)`);
  const local = await ensureBuilderImages(docker, { variant, log: (line) => say(`  ${line}`) });
  const target = `${registryHost}/berth/python`;
  const tag = '3.11';
  await docker.getImage(local).tag({ repo: target, tag });
  const stream = await pushImage(docker, `${target}:${tag}`, undefined);
  await new Promise<void>((resolve, reject) =>
    docker.modem.followProgress(stream, (err: Error | null, events: { error?: string }[]) => {
      const failed = err?.message ?? events.find((e) => e.error)?.error;
      if (failed) reject(new Error(`publishing ${target}:${tag} failed: ${failed}`));
      else resolve();
    }),
  );
  say(`builder image ${target}:${tag}`);
  return [{ name: 'python', image: `${target}:${tag}`, description: 'Python 3.11 (S2I): requirements.txt, setup.py, Django, WSGI servers, app.py, app.sh' }];
}
