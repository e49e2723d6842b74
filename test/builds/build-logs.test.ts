// One BuildLogs contract, two adapters: files under PAAS_HOME (npm run up) and the DynamoDB
// table (AWS), the latter in DynamoDB Local.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';
import { DynamoBuildLogs } from '../../shared/builds/dynamo-logs.ts';
import { FileBuildLogs } from '../../shared/builds/local-adapters.ts';
import { freshTable, type TestTable } from '../support/dynamo.ts';
import { buildLogsContract } from './build-logs.contract.ts';

const dir = mkdtempSync(join(tmpdir(), 'berth-logs-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
buildLogsContract('FileBuildLogs', async () => new FileBuildLogs(dir));

let table: Promise<TestTable> | undefined;
buildLogsContract('DynamoBuildLogs', async () => {
  const t = await (table ??= freshTable());
  return new DynamoBuildLogs({ client: t.client, tableName: t.tableName });
});
