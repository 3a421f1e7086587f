/**
 * The baseline of `npm run bench -- status`: a bare static file server (node:http, a file read
 * per request, its content type by extension), serving the directory given on the command line.
 */
import { readFile } from 'node:fs/promises';
import http from 'node:http';
import path from 'node:path';

const root = path.resolve(process.argv[2]!);
const types: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.atom': 'application/atom+xml; charset=utf-8',
  '.json': 'application/feed+json; charset=utf-8',
};
const server = http.createServer((request, response) => {
  const wanted = path.join(
    root,
    path.normalize(decodeURIComponent(request.url!.split('?')[0]!)).replace(/^(\.\.[/\\])+/, ''),
  );
  const file = wanted.endsWith(path.sep) ? path.join(wanted, 'index.html') : wanted;
  readFile(file).then(
    (body) =>
      response.writeHead(200, { 'content-type': types[path.extname(file)] ?? 'application/octet-stream' }).end(body),
    () => response.writeHead(404).end(),
  );
});
server.listen(Number(process.env.PORT), '127.0.0.1', () => process.stdout.write('static server is running\n'));
