// server.js - starts @20minutes/s3rver (which checks SigV4 signatures) on
// 127.0.0.1 for tests/blackbox/test_s3.py, with one bucket "mlflow" and the
// default credentials S3RVER/S3RVER. The package has no bin, hence this file.
//
//   node --openssl-legacy-provider server.js <port (0: any free one)> <directory>
//
// (s3rver enciphers ListObjectsV2 continuation tokens with DES, which Node 20's
// OpenSSL 3 only has in its legacy provider; without the flag paging fails.)
//
// Prints one line "listening <port>" once it accepts connections, and stops
// cleanly on SIGTERM or SIGINT (or when stdin closes, so it cannot outlive
// the test that started it).
//
// Storage classes, as S3 has them: s3rver keeps an object's
// x-amz-storage-class with it (in the object's metadata file) and refuses
// a PutObject with an unknown one; its table lacks GLACIER_IR and
// EXPRESS_ONEZONE, added here, and it does not look at the header of a
// CreateMultipartUpload, which is refused here like S3 does (400
// InvalidStorageClass) before s3rver sees it.
//
// With S3RVER_RECORD=<file>, every request is appended to <file> as one
// JSON line {method, url, storage_class (null without the header),
// storage_class_signed (whether SigV4's SignedHeaders names it), status},
// so a test can tell which requests carried a class and that it was signed.
'use strict';
const fs = require('fs');
const S3rver = require('@20minutes/s3rver');
const S3Object = require('@20minutes/s3rver/lib/models/object');

for (const name of ['GLACIER_IR', 'EXPRESS_ONEZONE']) {
  if (!S3Object.STORAGE_CLASSES.includes(name)) S3Object.STORAGE_CLASSES.push(name);
}

const port = Number(process.argv[2] || 0);
const directory = process.argv[3];
if (!directory) {
  console.error('usage: node server.js <port> <directory>');
  process.exit(2);
}

const server = new S3rver({
  address: '127.0.0.1',
  port,
  directory,
  silent: !process.env.S3RVER_VERBOSE,
  configureBuckets: [{ name: 'mlflow' }],
});

const record = process.env.S3RVER_RECORD;
function signedHeaders(authorization) {
  const m = /SignedHeaders=([^,\s]+)/.exec(authorization || '');
  return m ? m[1].split(';') : [];
}
// first of all middleware (s3rver's own are already in place)
server.middleware.unshift(async (ctx, next) => {
  const storageClass = ctx.get('x-amz-storage-class') || null;
  if (storageClass !== null && !S3Object.STORAGE_CLASSES.includes(storageClass)) {
    ctx.status = 400;
    ctx.type = 'application/xml';
    ctx.body = '<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>InvalidStorageClass</Code>' +
      '<Message>The storage class you specified is not valid</Message></Error>';
    return;
  }
  try {
    await next();
  } finally {
    if (record) {
      fs.appendFileSync(record, JSON.stringify({
        method: ctx.method,
        url: ctx.url,
        storage_class: storageClass,
        storage_class_signed: signedHeaders(ctx.get('authorization')).includes('x-amz-storage-class'),
        status: ctx.status,
      }) + '\n');
    }
  }
});

let stopping = false;
async function stop() {
  if (stopping) return;
  stopping = true;
  await server.close();
  process.exit(0);
}

server.run().then((addr) => {
  console.log(`listening ${addr.port}`);
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  process.stdin.on('end', stop);
  process.stdin.resume();
}, (err) => {
  console.error(`s3rver failed to start: ${err.message}`);
  process.exit(1);
});
