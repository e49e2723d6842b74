// Starts one DynamoDB Local (in memory) for the whole test run; each test file makes its own
// table in it, so files never see each other's data.
import type { TestProject } from 'vitest/node';
import { startDynamoLocal, type DynamoLocal } from '../../shared/local/dynamodb-local.ts';
import { freePort } from '../../shared/local/ports.ts';
import { JAVA, ensurePrerequisites } from '../../agents/up/prerequisites.ts';

let engine: DynamoLocal | undefined;

export async function setup(project: TestProject): Promise<void> {
  ensurePrerequisites([JAVA], (line) => console.log(`[test setup] ${line}`));
  engine = await startDynamoLocal({ port: await freePort() });
  project.provide('dynamoEndpoint', engine.endpoint);
}

export async function teardown(): Promise<void> {
  await engine?.stop();
}

declare module 'vitest' {
  export interface ProvidedContext {
    dynamoEndpoint: string;
  }
}
