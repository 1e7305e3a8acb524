// Starts s3rver on 127.0.0.1 for the S3 client's tests.
//   node run_s3rver.js <port> <data-dir> [<key.pem> <cert.pem>]
// Port 0 picks a free port. Prints one line "s3rver ready: <url>" once it
// listens, then stays silent; SIGTERM or SIGINT stops it.
'use strict';

const S3rver = require('s3rver');
const FilesystemStore = require('s3rver/lib/stores/filesystem');

// s3rver 3.7.1 does not look below a name when it lists with a delimiter, so a
// name that holds only deeper objects ("a/" of a/b/c, listed under "") is
// missing from CommonPrefixes. List everything under the prefix and group it
// here, as S3 does; pages still end after maxKeys objects.
const listAll = FilesystemStore.prototype.listObjects;
FilesystemStore.prototype.listObjects = async function listObjects(bucket, options) {
  const { delimiter, prefix = '', maxKeys = Infinity } = options;
  if (!delimiter) return listAll.call(this, bucket, options);
  const all = await listAll.call(this, bucket, { ...options, delimiter: undefined, maxKeys: Infinity });
  const objects = [];
  const commonPrefixes = new Set();
  let isTruncated = false;
  for (const object of all.objects.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))) {
    const at = object.key.indexOf(delimiter, prefix.length);
    if (at !== -1) {
      commonPrefixes.add(object.key.slice(0, at + delimiter.length));
    } else if (objects.length < maxKeys) {
      objects.push(object);
    } else {
      isTruncated = true;
      break;
    }
  }
  return { objects, commonPrefixes: [...commonPrefixes].sort(), isTruncated };
};

const [port, dir, key, cert] = process.argv.slice(2);
if (port === undefined || dir === undefined) {
  process.stderr.write('usage: run_s3rver.js <port> <data-dir> [<key.pem> <cert.pem>]\n');
  process.exit(2);
}
const fs = require('fs');
const options = {
  address: '127.0.0.1',
  port: Number(port),
  directory: dir,
  silent: true,
  // vhost-style requests: <bucket>.s3.localhost
  serviceEndpoint: 'localhost',
};
// S3RVER_BUCKETS="a,b": buckets that exist from the start (the TAP tests'
// repositories; the server keeps them in the data directory across restarts).
if (process.env.S3RVER_BUCKETS) {
  options.configureBuckets = process.env.S3RVER_BUCKETS.split(',').map(name => ({ name }));
}
if (key && cert) {
  options.key = fs.readFileSync(key);
  options.cert = fs.readFileSync(cert);
}

const server = new S3rver(options);
server.run().then(
  addr => {
    const scheme = key ? 'https' : 'http';
    process.stdout.write(`s3rver ready: ${scheme}://127.0.0.1:${addr.port}\n`);
  },
  err => {
    process.stderr.write(`s3rver failed to start: ${err.message}\n`);
    process.exit(1);
  },
);

const stop = () => server.close().then(() => process.exit(0), () => process.exit(1));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
