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
'use strict';
const S3rver = require('@20minutes/s3rver');

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
