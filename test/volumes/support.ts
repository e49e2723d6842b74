// Shared by the engine tests of volumes: a pod's log, waited for until it says a marker.
import { setTimeout as sleep } from 'node:timers/promises';
import type { DockerPods } from '../../shared/fleet/docker-pods.ts';

/** The pod's log once it contains `marker`, or as it is after 30 s. */
export async function logsUntil(pods: DockerPods, project: string, pod: string, marker: string): Promise<string> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const text = await pods.logs(project, pod).catch(() => '');
    if (text.includes(marker) || Date.now() > deadline) return text;
    await sleep(200);
  }
}
