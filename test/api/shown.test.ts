// Which kinds the API shows as stored: a push notice carries objects of those kinds only
// (shared/push/changes.ts), so every alteration a read makes must take its kind off that list.
// These tests pin the list and check it against the alterations themselves.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ALTERED_ON_READ, shownAsStored } from '../../shared/api/shown.ts';
import { redactFor } from '../../shared/api/redaction.ts';
import { KINDS } from '../../shared/model/kinds.ts';
import type { BerthObject } from '../../shared/model/types.ts';
import { withQuotaStatus } from '../../shared/quota/status.ts';
import { specCodecs } from '../../shared/secrets/codecs.ts';
import { LocalSecretBox } from '../../shared/secrets/local.ts';

const projectKinds = [...KINDS.values()].filter((d) => d.scope === 'project').map((d) => d.kind);

describe('kinds shown as stored', () => {
  it('are every project kind but Secret, BuildConfig and ResourceQuota', () => {
    expect([...ALTERED_ON_READ].sort()).toEqual(['BuildConfig', 'ResourceQuota', 'Secret']);
    expect(projectKinds.filter(shownAsStored).sort()).toEqual(projectKinds.filter((k) => !['BuildConfig', 'ResourceQuota', 'Secret'].includes(k)).sort());
  });

  it.each(projectKinds)('%s: shown as stored exactly when no codec opens it, no read redacts it and none computes its status', async (kind) => {
    const codecs: Record<string, unknown> = specCodecs(await LocalSecretBox.fromKeyFile(join(mkdtempSync(join(tmpdir(), 'berth-keys-')), 'key')));
    const object = { kind, metadata: { name: 'n', project: 'p', resourceVersion: '1', labels: {} }, spec: { hard: { pods: 1 } }, status: {} } as unknown as BerthObject;
    const [read] = await withQuotaStatus([object], async () => ({ version: 1, used: { pods: 1 }, hard: {} }) as never);
    const altered = kind in codecs || redactFor(kind) !== undefined || read !== object;

    expect(shownAsStored(kind)).toBe(!altered);
  });
});
