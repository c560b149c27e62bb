import { expect } from 'chai';
import { checkResponse, ResponseMismatch, responseChecker, type SeenResponse } from '../response-check.ts';

/** A small document of the registry's shape, with one planted route of each kind. */
const DOCUMENT = {
  paths: {
    '/api/things/{id}': {
      get: {
        operationId: 'getThing',
        responses: {
          '200': {
            content: {
              'application/json': { schema: { $ref: '#/components/schemas/Thing' } },
              'text/csv': { schema: { type: 'string' } },
            },
          },
          default: { content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } },
        },
      },
      delete: {
        operationId: 'deleteThing',
        responses: {
          '204': {},
          default: { content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } },
        },
      },
    },
    '/api/things/mine': {
      get: {
        operationId: 'listMyThings',
        responses: {
          '200': {
            content: {
              'application/json': {
                schema: { type: 'object', required: ['things'], properties: { things: { type: 'array' } } },
              },
            },
          },
        },
      },
    },
  },
  components: {
    schemas: {
      Thing: {
        type: 'object',
        required: ['id', 'count'],
        properties: {
          id: { type: 'string' },
          count: { type: 'integer' },
          tags: { type: 'array', items: { type: 'string' } },
        },
      },
      Error: {
        type: 'object',
        required: ['error'],
        properties: { error: { type: 'object', required: ['code', 'message'] } },
      },
    },
  },
};

const JSON_TYPE = 'application/json; charset=utf-8';
const seen = (over: Partial<SeenResponse>): SeenResponse => ({
  method: 'GET',
  url: 'http://127.0.0.1:1/api/things/t1',
  status: 200,
  contentType: JSON_TYPE,
  text: JSON.stringify({ id: 't1', count: 2 }),
  ...over,
});

describe('response check: every API answer against the OpenAPI document', () => {
  const checker = responseChecker(DOCUMENT);
  const failure = (s: SeenResponse): string => {
    try {
      checker.check(s);
    } catch (error) {
      expect(error).to.be.instanceOf(ResponseMismatch);
      return (error as Error).message;
    }
    expect.fail(`${s.method} ${String(s.url)} ${s.status} passed the check`);
  };

  it('passes an answer that matches, and an error in the Error shape', () => {
    checker.check(seen({}));
    checker.check(seen({ url: 'http://127.0.0.1:1/api/things/t1?format=x' }));
    checker.check(
      seen({ status: 404, text: JSON.stringify({ error: { code: 'NOT_FOUND', message: 'no' } }) }),
    );
    checker.check(seen({ method: 'DELETE', status: 204, contentType: null, text: '' }));
    checker.check(seen({ contentType: 'text/csv; charset=utf-8', text: '\uFEFFid,count\r\n' }));
  });

  it('fails a wrong type, naming the operation, the status and the path in the body', () => {
    const message = failure(seen({ text: JSON.stringify({ id: 't1', count: '2' }) }));
    expect(message).to.match(
      /^GET \/api\/things\/\{id\} \(getThing\) answered 200: a body that does not match/,
    );
    expect(message).to.include('/count must be integer');
    expect(message).to.include('found "2"');
    expect(failure(seen({ text: JSON.stringify({ id: 't1', count: 1, tags: ['a', 3] }) }))).to.include(
      '/tags/1 must be string',
    );
  });

  it('fails a missing required property, naming it', () => {
    const message = failure(seen({ text: JSON.stringify({ id: 't1' }) }));
    expect(message).to.include('(getThing) answered 200');
    expect(message).to.include("/count must have required property 'count'");
  });

  it('fails a status the operation does not declare', () => {
    expect(failure(seen({ status: 201 }))).to.equal(
      'GET /api/things/{id} (getThing) answered 201: a status the document does not declare (declared: 200, default)',
    );
    // an error status where the operation has no default
    expect(
      failure(
        seen({ url: 'http://h/api/things/mine', status: 500, text: '{"error":{"code":"X","message":"m"}}' }),
      ),
    ).to.include('(listMyThings) answered 500: a status the document does not declare (declared: 200)');
  });

  it('fails an error answer that is not the Error shape', () => {
    expect(failure(seen({ status: 422, text: JSON.stringify({ problems: [] }) }))).to.include(
      "answered 422: a body that does not match its schema:\n  /error must have required property 'error'",
    );
  });

  it('fails an undeclared content type, a body that is not JSON, and a body on 204', () => {
    expect(failure(seen({ contentType: 'application/pdf', text: '' }))).to.include(
      "content type 'application/pdf' where the document declares 'application/json' or 'text/csv'",
    );
    expect(failure(seen({ text: '<html>' }))).to.include('a body that is not JSON: <html>');
    expect(failure(seen({ method: 'DELETE', status: 204, text: '{}' }))).to.include(
      '(deleteThing) answered 204: a body where the document declares none',
    );
  });

  it('prefers a literal path segment over a parameter, as the routes are declared', () => {
    expect(checker.operationOf('GET', '/api/things/mine')?.operationId).to.equal('listMyThings');
    expect(checker.operationOf('GET', '/api/things/other')?.operationId).to.equal('getThing');
    expect(failure(seen({ url: 'http://h/api/things/mine' }))).to.include(
      "(listMyThings) answered 200: a body that does not match its schema:\n  /things must have required property 'things'",
    );
  });

  it('accepts only an error for a path or method no operation has, and leaves non-API paths alone', () => {
    checker.check(
      seen({
        url: 'http://h/api/nothing',
        status: 404,
        text: '{"error":{"code":"NOT_FOUND","message":"no"}}',
      }),
    );
    expect(failure(seen({ method: 'PUT', status: 200 }))).to.equal(
      'PUT /api/things/t1 (no operation in the OpenAPI document) answered 200: a status the document does not declare (declared: none (errors only))',
    );
    checker.check(seen({ url: 'http://h/healthz', text: 'anything' }));
  });

  it("compiles every response schema of the platform's own document in strict mode, and checks against it", () => {
    expect(responseChecker().compileAll()).to.be.greaterThan(100);
    expect(() =>
      checkResponse(
        seen({ url: 'http://h/api/scenarios', text: JSON.stringify({ scenarios: [{ id: 1 }] }) }),
      ),
    ).to.throw(
      ResponseMismatch,
      /^GET \/api\/scenarios \(listScenarios\) answered 200: .*\n {2}\/scenarios\/0/,
    );
  });
});
