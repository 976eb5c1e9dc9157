#!/usr/bin/env node
// Reads TensorBoard event files without TensorFlow, TensorBoard or any npm package, so that the
// Java tests check ablate's writer (trainer.tensorboard.EventFile) against code that shares none of
// it: the TFRecord framing, both masked CRC32Cs (the CRC computed here from its polynomial), and
// the protobuf wire format of tensorflow.Event / Summary / Summary.Value decoded by hand.
//
//   node ops/tensorboard/read-events.js FILE_OR_FOLDER...   (a folder: its events.out.tfevents.* files, in name order)
//   node ops/tensorboard/read-events.js --self-test          (CRC32C("123456789") must be 0xE3069283)
//
// stdout, one JSON object a line:
//   {"file":F,"wall_time":T,"file_version":"brain.Event:2"}        the file-version record
//   {"file":F,"step":S,"tag":TAG,"value":V,"wall_time":T}           each scalar of each event
// stderr: {"file":F,"offset":O,"error":WHY} for a bad CRC, a short record, a malformed proto, or a
// file whose first record is not brain.Event:2; reading that file stops there (as TensorBoard's
// reader does) and the exit code is 1.
'use strict';
const fs = require('fs');
const path = require('path');

const CASTAGNOLI = 0x82f63b78; // CRC32C's polynomial, bit-reversed
const TABLE = new Uint32Array(256);
for (let n = 0; n < 256; n++) {
  let c = n;
  for (let k = 0; k < 8; k++) {
    c = c & 1 ? (c >>> 1) ^ CASTAGNOLI : c >>> 1;
  }
  TABLE[n] = c >>> 0;
}

function crc32c(bytes) {
  let c = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) {
    c = TABLE[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
  }
  return (c ^ 0xffffffff) >>> 0;
}

// TFRecord's mask: rotate right by 15, add a constant, modulo 2^32.
function masked(crc) {
  return ((((crc >>> 15) | (crc << 17)) >>> 0) + 0xa282ead8) >>> 0;
}

class Malformed extends Error {}

// The fields of one protobuf message: [{field, wire, value}] where value is a BigInt (varint), a
// Buffer (length-delimited) or the raw little-endian bytes (fixed64 / fixed32).
function fields(buf) {
  const out = [];
  let i = 0;
  const varint = () => {
    let v = 0n;
    for (let shift = 0n; ; shift += 7n) {
      if (i >= buf.length) throw new Malformed('varint runs past the end of a message');
      if (shift > 63n) throw new Malformed('varint longer than 10 bytes');
      const b = buf[i++];
      v |= BigInt(b & 0x7f) << shift;
      if ((b & 0x80) === 0) return v;
    }
  };
  const take = (n) => {
    if (i + n > buf.length) throw new Malformed('field runs past the end of a message');
    const b = buf.subarray(i, i + n);
    i += n;
    return b;
  };
  while (i < buf.length) {
    const key = varint();
    const field = Number(key >> 3n);
    const wire = Number(key & 7n);
    if (field === 0) throw new Malformed('field number 0');
    let value;
    if (wire === 0) value = varint();
    else if (wire === 1) value = take(8);
    else if (wire === 2) value = take(Number(varint()));
    else if (wire === 5) value = take(4);
    else throw new Malformed('unsupported wire type ' + wire);
    out.push({ field, wire, value });
  }
  return out;
}

function expectWire(f, wire, name) {
  if (f.wire !== wire) throw new Malformed(name + ' has wire type ' + f.wire + ', not ' + wire);
}

// tensorflow.Event { double wall_time = 1; int64 step = 2; string file_version = 3; Summary summary = 5; }
function event(buf) {
  const e = { wall_time: 0, step: 0n, file_version: null, values: [] };
  for (const f of fields(buf)) {
    if (f.field === 1) {
      expectWire(f, 1, 'wall_time');
      e.wall_time = f.value.readDoubleLE(0);
    } else if (f.field === 2) {
      expectWire(f, 0, 'step');
      e.step = BigInt.asIntN(64, f.value);
    } else if (f.field === 3) {
      expectWire(f, 2, 'file_version');
      e.file_version = f.value.toString('utf8');
    } else if (f.field === 5) {
      expectWire(f, 2, 'summary');
      e.values.push(...summary(f.value));
    }
  }
  return e;
}

// Summary { repeated Value value = 1; }  Value { string tag = 1; float simple_value = 2; }
function summary(buf) {
  const values = [];
  for (const f of fields(buf)) {
    if (f.field !== 1) continue;
    expectWire(f, 2, 'Summary.value');
    const v = { tag: '', value: null };
    for (const g of fields(f.value)) {
      if (g.field === 1) {
        expectWire(g, 2, 'Value.tag');
        v.tag = g.value.toString('utf8');
      } else if (g.field === 2) {
        expectWire(g, 5, 'Value.simple_value');
        v.value = g.value.readFloatLE(0);
      }
    }
    values.push(v);
  }
  return values;
}

function number(big) {
  return big >= BigInt(Number.MIN_SAFE_INTEGER) && big <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(big) : big.toString();
}

// Prints the file's records; returns false after reporting the first problem.
function read(file) {
  const name = path.basename(file);
  const buf = fs.readFileSync(file);
  let offset = 0;
  let records = 0;
  const fail = (why) => {
    process.stderr.write(JSON.stringify({ file: name, offset, error: why }) + '\n');
    return false;
  };
  while (offset < buf.length) {
    if (offset + 12 > buf.length) return fail('record header cut short (' + (buf.length - offset) + ' bytes left)');
    const header = buf.subarray(offset, offset + 8);
    const length = buf.readBigUInt64LE(offset);
    if (buf.readUInt32LE(offset + 8) !== masked(crc32c(header))) return fail('bad length crc');
    if (BigInt(offset + 12) + length + 4n > BigInt(buf.length)) return fail('record data cut short (length ' + length + ')');
    const start = offset + 12;
    const data = buf.subarray(start, start + Number(length));
    if (buf.readUInt32LE(start + data.length) !== masked(crc32c(data))) return fail('bad data crc');
    let e;
    try {
      e = event(data);
    } catch (err) {
      if (err instanceof Malformed) return fail('malformed Event proto: ' + err.message);
      throw err;
    }
    if (records === 0 && e.file_version !== 'brain.Event:2') return fail('first record is not the file version brain.Event:2');
    if (e.file_version !== null) {
      process.stdout.write(JSON.stringify({ file: name, wall_time: e.wall_time, file_version: e.file_version }) + '\n');
    }
    for (const v of e.values) {
      process.stdout.write(JSON.stringify({ file: name, step: number(e.step), tag: v.tag, value: v.value, wall_time: e.wall_time }) + '\n');
    }
    records++;
    offset = start + data.length + 4;
  }
  return true;
}

function eventFiles(arg) {
  if (!fs.statSync(arg).isDirectory()) return [arg];
  return fs.readdirSync(arg).filter((n) => n.startsWith('events.out.tfevents.')).sort().map((n) => path.join(arg, n))
    .filter((p) => fs.statSync(p).isFile());
}

function main(args) {
  if (args.length === 1 && args[0] === '--self-test') {
    const crc = crc32c(Buffer.from('123456789', 'ascii'));
    const ok = crc === 0xe3069283;
    process.stdout.write(JSON.stringify({ crc32c_123456789: '0x' + crc.toString(16).padStart(8, '0'), ok }) + '\n');
    return ok ? 0 : 1;
  }
  if (args.length === 0) {
    process.stderr.write('usage: read-events.js FILE_OR_FOLDER... | --self-test\n');
    return 2;
  }
  let ok = true;
  for (const arg of args) {
    if (!fs.existsSync(arg)) {
      process.stderr.write(JSON.stringify({ file: arg, error: 'no such file or folder' }) + '\n');
      ok = false;
      continue;
    }
    for (const file of eventFiles(arg)) {
      ok = read(file) && ok;
    }
  }
  return ok ? 0 : 1;
}

// `read-events.js ... | head` closes the pipe early; that is not an error.
process.stdout.on('error', (err) => process.exit(err.code === 'EPIPE' ? 0 : 1));
process.exitCode = main(process.argv.slice(2));
