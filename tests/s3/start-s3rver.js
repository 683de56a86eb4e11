#!/usr/bin/env node
'use strict';

// Test launcher for s3rver 3.7.1 (an S3-compatible server used by the blob store tests).
//
// Why not the s3rver CLI: s3rver 3.7.1 answers AbortMultipartUpload
// (DELETE /bucket/key?uploadId=...) with 405 MethodNotAllowed, and the executor aborts unused
// uploads after every allocation. This launcher loads s3rver as a library and adds that one route:
// the stored parts of the upload are deleted (204), an unknown upload id gets NoSuchUpload (404).
//
// Usage: node start-s3rver.js [--port N] [--directory DIR] [--bucket NAME]...
//   --port 0 (default) lets the OS pick a free port. The data directory defaults to a fresh temp
//   directory that is removed on exit. Prints "S3rver listening on 127.0.0.1:PORT" once ready.
//   Exits on SIGTERM/SIGINT, or when stdin closes (so a crashed parent never leaves us behind).

const fs = require('fs');
const os = require('os');
const path = require('path');

const S3rver = require('s3rver');
const router = require('s3rver/lib/routes');
const S3Error = require('s3rver/lib/models/error');

function parseArgs(argv) {
  const options = { port: 0, directory: undefined, buckets: [] };
  for (let i = 0; i < argv.length; i++) {
    const value = argv[i + 1];
    switch (argv[i]) {
      case '--port':
        options.port = Number.parseInt(value, 10);
        i++;
        break;
      case '--directory':
        options.directory = value;
        i++;
        break;
      case '--bucket':
        options.buckets.push(value);
        i++;
        break;
      default:
        throw new Error(`unknown argument: ${argv[i]}`);
    }
  }
  if (!Number.isInteger(options.port) || options.port < 0 || options.port > 65535) {
    throw new Error('--port must be an integer between 0 and 65535');
  }
  return options;
}

// AbortMultipartUpload. Upload ids minted by s3rver are 32 hex characters; anything else cannot
// name an upload (and must never be joined into a path).
async function abortMultipartUpload(ctx, next) {
  if (!('uploadId' in ctx.query)) {
    return next();
  }
  const uploadId = String(ctx.query.uploadId);
  const uploadsDir = ctx.store.getResourcePath(ctx.params.bucket, undefined, 'uploads');
  const uploadDir = path.join(uploadsDir, uploadId);
  let storedKey;
  if (/^[0-9a-f]{32}$/.test(uploadId)) {
    storedKey = await fs.promises
      .readFile(path.join(uploadDir, 'key'), 'utf8')
      .catch(() => undefined);
  }
  if (storedKey === undefined || storedKey !== ctx.params.key) {
    throw new S3Error(
      'NoSuchUpload',
      'The specified upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed.',
      { UploadId: uploadId },
    );
  }
  await fs.promises.rm(uploadDir, { recursive: true, force: true });
  ctx.logger.info('Aborted multipart upload %s of "%s"', uploadId, ctx.params.key);
  ctx.status = 204;
}

// Register the route, then move it in front of s3rver's own DELETE handler for objects (which
// answers 405 for ?uploadId without calling next). It stays after the authentication and
// bucket-exists middleware, which are registered earlier with router.use.
function installAbortRoute() {
  router.delete('/:bucket/:key+', abortMultipartUpload);
  const added = router.stack.pop();
  const index = router.stack.findIndex(
    layer => layer.path === '/:bucket/:key+' && layer.methods.includes('DELETE'),
  );
  if (index < 0) {
    throw new Error('s3rver object DELETE route not found; is this s3rver 3.7.1?');
  }
  router.stack.splice(index, 0, added);
}

async function main() {
  const options = parseArgs(process.argv.slice(2));
  const ownsDirectory = options.directory === undefined;
  const directory =
    options.directory ?? fs.mkdtempSync(path.join(os.tmpdir(), 's3rver-'));

  installAbortRoute();
  const server = new S3rver({
    address: '127.0.0.1',
    port: options.port,
    directory,
    silent: true,
    configureBuckets: options.buckets.map(name => ({ name })),
  });

  const { address, port } = await server.run();

  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    const done = () => {
      if (ownsDirectory) {
        fs.rmSync(directory, { recursive: true, force: true });
      }
      process.exit(0);
    };
    // Open keep-alive connections would delay close(); do not wait for them.
    server.httpServer.closeAllConnections?.();
    server.close(done);
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  process.stdin.on('end', stop);
  process.stdin.on('close', stop);
  process.stdin.resume();

  process.stdout.write(`S3rver listening on ${address}:${port}\n`);
}

main().catch(err => {
  process.stderr.write(`start-s3rver: ${err && err.stack ? err.stack : err}\n`);
  process.exit(1);
});
