import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import Fastify from 'fastify';
import { appError } from '../errors.js';
import { registerProblemHandler } from './problem.js';

const app = Fastify({ bodyLimit: 100 });
registerProblemHandler(app);
app.get('/suspended', async () => {
  throw appError('TENANT_SUSPENDED', 'The workspace "acme" is suspended.');
});
app.get('/bug', async () => {
  throw new TypeError("Cannot read properties of undefined (reading 'secret')");
});
app.post('/echo', async (request) => request.body);
after(() => app.close());

const cases = [
  {
    name: 'a catalogue error keeps its status, code and message',
    request: { method: 'GET', url: '/suspended' },
    status: 423,
    code: 'TENANT_SUSPENDED',
    detail: /"acme" is suspended/,
  },
  {
    name: 'a bug is a 500 that does not leak its message',
    request: { method: 'GET', url: '/bug' },
    status: 500,
    code: 'INTERNAL',
    detail: /^Something went wrong on our side/,
  },
  {
    name: 'malformed JSON is a 400 saying so',
    request: { method: 'POST', url: '/echo', payload: '{"a":', headers: { 'content-type': 'application/json' } },
    status: 400,
    code: 'VALIDATION_FAILED',
    detail: /could not be read/,
  },
  {
    name: 'an oversized body is a 413',
    request: {
      method: 'POST',
      url: '/echo',
      payload: JSON.stringify({ a: 'x'.repeat(200) }),
      headers: { 'content-type': 'application/json' },
    },
    status: 413,
    code: 'REQUEST_TOO_LARGE',
    detail: /larger than this endpoint accepts/,
  },
  {
    name: 'an unsupported content type is a 415 naming what to send',
    request: {
      method: 'POST',
      url: '/echo',
      payload: 'a=1',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    },
    status: 415,
    code: 'UNSUPPORTED_MEDIA_TYPE',
    detail: /application\/json/,
  },
  {
    name: 'an unknown route is a 404',
    request: { method: 'GET', url: '/nothing?x=1' },
    status: 404,
    code: 'ROUTE_NOT_FOUND',
    detail: /GET \/nothing\.$/,
  },
] as const;

for (const { name, request, status, code, detail } of cases) {
  test(`${name} (RFC 9457 problem document)`, async () => {
    const response = await app.inject(request as never);
    assert.equal(response.statusCode, status);
    assert.match(response.headers['content-type'] as string, /^application\/problem\+json/);
    const problem = response.json();
    assert.equal(problem.status, status);
    assert.equal(problem.code, code);
    assert.equal(problem.type, `urn:steadfast:error:${code}`);
    assert.match(problem.detail, detail);
    assert.equal(typeof problem.title, 'string');
    assert.equal(typeof problem.instance, 'string');
  });
}
