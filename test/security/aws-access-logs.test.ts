// Attack: a webhook's URL carries its secret (POST /webhooks/{project}/{bc}/{type}/{secret}), so
// anyone who can read the API's access logs — a wider circle than those who may start builds —
// would learn every project's webhook secrets from them. The stage's log format is rendered here
// for a webhook request, as API Gateway fills in its context variables
// (https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-logging-variables.html),
// and the secret must not be in the line.
import { beforeAll, describe, expect, it } from 'vitest';
import { resourcesOf, synthBerth } from '../infra/synth.ts';

const SECRET = 'wh-7f3c9a1e5b2d4c6f8a0b';
/** What API Gateway knows about one webhook delivery. */
const CONTEXT: Record<string, string> = {
  requestId: 'abc123',
  'identity.sourceIp': '203.0.113.9',
  requestTime: '02/Dec/2026:07:00:00 +0000',
  httpMethod: 'POST',
  path: `/webhooks/shop/web/github/${SECRET}`,
  routeKey: 'POST /webhooks/{proxy+}',
  status: '202',
  protocol: 'HTTP/1.1',
  responseLength: '2',
  responseLatency: '41',
  integrationErrorMessage: '-',
  'domainName': 'api.berth.example.com',
};

let format = '';
beforeAll(() => {
  // The HTTP API's stage is the one that logs (the push connections' WebSocket stage keeps no access log, docs/aws.md).
  const stages = resourcesOf(synthBerth().templates.controlPlane, 'AWS::ApiGatewayV2::Stage').filter(([, p]) => p.AccessLogSettings);
  expect(stages).toHaveLength(1);
  format = (stages[0]![1].AccessLogSettings as { Format: string }).Format;
});

/** The log line API Gateway would write; unknown variables are refused so none is overlooked. */
function render(fmt: string): string {
  return fmt.replace(/\$context\.([A-Za-z.]+)/g, (_, name: string) => {
    const value = CONTEXT[name];
    if (value === undefined) throw new Error(`the access log format uses $context.${name}, which this test does not know: judge whether it can carry the URL`);
    return value;
  });
}

describe('API access logs', () => {
  it("a webhook delivery's log line names the route, not the URL with the secret", () => {
    const line = JSON.parse(render(format)) as Record<string, string>;
    expect(JSON.stringify(line)).not.toContain(SECRET);
    expect(Object.values(line)).toContain('POST /webhooks/{proxy+}');
  });

  it('still logs who, when, what and how it went', () => {
    const line = JSON.parse(render(format)) as Record<string, string>;
    expect(Object.values(line)).toEqual(expect.arrayContaining(['abc123', '203.0.113.9', 'POST', '202']));
  });
});
