// The local runtime's HTTP APIs: API Gateway payload 2.0 events from plain HTTP requests.
import { afterEach, describe, expect, it } from 'vitest';
import type { LocalFunctions } from '../../src/local/functions';
import { LocalHttpApis } from '../../src/local/http-apis';
import { TemplateResolver } from '../../src/local/template';

const template = {
  Resources: {
    Api: { Type: 'AWS::ApiGatewayV2::Api', Properties: { ProtocolType: 'HTTP', Name: 'pages' } },
    Integration: {
      Type: 'AWS::ApiGatewayV2::Integration',
      Properties: { ApiId: { Ref: 'Api' }, IntegrationUri: { 'Fn::GetAtt': ['PageFunction', 'Arn'] } },
    },
    GetRoute: {
      Type: 'AWS::ApiGatewayV2::Route',
      Properties: {
        ApiId: { Ref: 'Api' },
        RouteKey: 'GET /items/{itemId}',
        Target: { 'Fn::Join': ['', ['integrations/', { Ref: 'Integration' }]] },
      },
    },
    PostRoute: {
      Type: 'AWS::ApiGatewayV2::Route',
      Properties: {
        ApiId: { Ref: 'Api' },
        RouteKey: 'POST /items/{itemId}',
        Target: { 'Fn::Join': ['', ['integrations/', { Ref: 'Integration' }]] },
      },
    },
    PageFunction: { Type: 'AWS::Lambda::Function', Properties: {} },
    Consumer: {
      Type: 'AWS::Lambda::Function',
      Properties: { Environment: { Variables: { PAGE_URL: { 'Fn::GetAtt': ['Api', 'ApiEndpoint'] } } } },
    },
  },
};

let apis: LocalHttpApis | undefined;
afterEach(async () => {
  await apis?.stop();
});

async function serve(respond: (event: Record<string, unknown>) => unknown) {
  const resolver = new TemplateResolver([{ stackName: 'Stack', template }]);
  apis = await LocalHttpApis.start(resolver);
  const events: { arn: string; event: Record<string, unknown> }[] = [];
  const functions = {
    invoke: async (arn: string, event: Record<string, unknown>) => {
      events.push({ arn, event });
      return respond(event);
    },
  } as unknown as LocalFunctions;
  apis.bind(functions);
  return { resolver, events, url: apis.url('Api') };
}

describe('local HTTP APIs', () => {
  it("resolves an API's ApiEndpoint to its loopback server", async () => {
    const { resolver, url } = await serve(() => ({ statusCode: 204 }));
    const variables = resolver.resolve('Stack', template.Resources.Consumer.Properties.Environment.Variables);
    expect(variables).toEqual({ PAGE_URL: url });
    expect(new URL(url).hostname).toBe('127.0.0.1');
  });

  it("hands the route's function a payload 2.0 event with path parameters, query and form body", async () => {
    const { events, url } = await serve(() => ({ statusCode: 200, body: 'ok' }));
    await fetch(`${url}/items/42?tier=0&sig=abc`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'decision=approve',
    });
    expect(events[0]).toMatchObject({
      arn: 'arn:aws:lambda:us-east-1:000000000000:function:Stack-PageFunction',
      event: {
        version: '2.0',
        routeKey: 'POST /items/{itemId}',
        pathParameters: { itemId: '42' },
        queryStringParameters: { tier: '0', sig: 'abc' },
        body: 'decision=approve',
        isBase64Encoded: false,
        requestContext: { http: { method: 'POST', path: '/items/42' } },
      },
    });
  });

  it('writes back the status, headers and body the function returns', async () => {
    const { url } = await serve(() => ({ statusCode: 410, headers: { 'x-page': 'expired' }, body: '<p>gone</p>' }));
    const response = await fetch(`${url}/items/7`);
    expect([response.status, response.headers.get('x-page'), await response.text()]).toEqual([
      410,
      'expired',
      '<p>gone</p>',
    ]);
  });

  it('answers 404 for a path no route matches, without invoking anything', async () => {
    const { events, url } = await serve(() => ({ statusCode: 200 }));
    expect((await fetch(`${url}/elsewhere`)).status).toBe(404);
    expect(events).toEqual([]);
  });

  it('answers 500 without the error when the function throws, as API Gateway does', async () => {
    const { url } = await serve(() => {
      throw new Error('secret detail');
    });
    const response = await fetch(`${url}/items/1`);
    expect([response.status, await response.text()]).toEqual([500, '{"message":"Internal Server Error"}']);
  });
});
