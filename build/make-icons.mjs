#!/usr/bin/env node
// Generates every app icon from assets/icon.svg:
//   build/icon.png (1024x1024), build/icons/<n>x<n>.png (Linux set), build/icon.ico, build/icon.icns.
// Needs only Node and `rsvg-convert` on the PATH (Debian/Ubuntu: `apt-get install librsvg2-bin`,
// macOS: `brew install librsvg`). ICO and ICNS are written here with Node built-ins, so the project
// gains no dependency. The outputs are committed; run this again (`node build/make-icons.mjs`) only
// after changing the SVG.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { inflateSync } from 'node:zlib';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const svg = readFileSync(join(root, 'assets/icon.svg'), 'utf8');

const LINUX_SIZES = [16, 32, 48, 64, 128, 256, 512];
const ICO_SIZES = [16, 24, 32, 48, 64, 128, 256];
// The tile sits inset on Apple's grid; at tiny sizes that margin costs legibility, so Windows and
// Linux icons of 48 px and less are cut from a tighter view of the same drawing.
const TIGHT_MAX = 48;
const tightSvg = svg.replace('viewBox="0 0 1024 1024"', 'viewBox="88 88 848 848"');
if (tightSvg === svg) throw new Error('assets/icon.svg must keep viewBox="0 0 1024 1024"');

const cache = new Map();
function render(size, tight = false) {
  const key = `${size}:${tight}`;
  if (!cache.has(key)) {
    const png = execFileSync('rsvg-convert', ['--width', String(size), '--height', String(size), '--format', 'png'], {
      input: tight ? tightSvg : svg,
      maxBuffer: 64 * 1024 * 1024,
    });
    cache.set(key, png);
  }
  return cache.get(key);
}

// Minimal PNG decoder for what rsvg-convert writes (8-bit RGBA, not interlaced): returns RGBA rows.
function decodeRgba(png) {
  let pos = 8;
  let width = 0;
  let height = 0;
  const idat = [];
  while (pos < png.length) {
    const len = png.readUInt32BE(pos);
    const type = png.toString('latin1', pos + 4, pos + 8);
    const data = png.subarray(pos + 8, pos + 8 + len);
    if (type === 'IHDR') {
      width = data.readUInt32BE(0);
      height = data.readUInt32BE(4);
      if (data[8] !== 8 || data[9] !== 6 || data[12] !== 0) throw new Error('expected 8-bit RGBA non-interlaced PNG');
    } else if (type === 'IDAT') idat.push(data);
    else if (type === 'IEND') break;
    pos += 12 + len;
  }
  const raw = inflateSync(Buffer.concat(idat));
  const stride = width * 4;
  const out = Buffer.alloc(stride * height);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)];
    const line = raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1));
    for (let x = 0; x < stride; x++) {
      const a = x >= 4 ? out[y * stride + x - 4] : 0;
      const b = y > 0 ? out[(y - 1) * stride + x] : 0;
      const c = x >= 4 && y > 0 ? out[(y - 1) * stride + x - 4] : 0;
      let v = line[x];
      if (filter === 1) v += a;
      else if (filter === 2) v += b;
      else if (filter === 3) v += (a + b) >> 1;
      else if (filter === 4) {
        const p = a + b - c;
        const pa = Math.abs(p - a);
        const pb = Math.abs(p - b);
        const pc = Math.abs(p - c);
        v += pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
      }
      out[y * stride + x] = v & 0xff;
    }
  }
  return { width, height, rgba: out };
}

// 32-bit BMP entry (BITMAPINFOHEADER, BGRA bottom-up, then an all-zero AND mask): the classic form
// every Windows shell and NSIS reads. Only the 256 px entry is stored as PNG, as Windows expects.
function icoBmp(png) {
  const { width, height, rgba } = decodeRgba(png);
  const maskStride = Math.ceil(width / 32) * 4;
  const header = Buffer.alloc(40);
  header.writeUInt32LE(40, 0);
  header.writeInt32LE(width, 4);
  header.writeInt32LE(height * 2, 8); // XOR image + AND mask
  header.writeUInt16LE(1, 12);
  header.writeUInt16LE(32, 14);
  header.writeUInt32LE(width * height * 4 + maskStride * height, 20);
  const pixels = Buffer.alloc(width * height * 4);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const s = ((height - 1 - y) * width + x) * 4;
      const d = (y * width + x) * 4;
      pixels[d] = rgba[s + 2];
      pixels[d + 1] = rgba[s + 1];
      pixels[d + 2] = rgba[s];
      pixels[d + 3] = rgba[s + 3];
    }
  }
  return Buffer.concat([header, pixels, Buffer.alloc(maskStride * height)]);
}

function ico(sizes) {
  const images = sizes.map((size) => {
    const png = render(size, size <= TIGHT_MAX);
    return { size, data: size >= 256 ? png : icoBmp(png) };
  });
  const dir = Buffer.alloc(6 + 16 * images.length);
  dir.writeUInt16LE(0, 0);
  dir.writeUInt16LE(1, 2); // type 1 = icon
  dir.writeUInt16LE(images.length, 4);
  let offset = dir.length;
  images.forEach(({ size, data }, i) => {
    const e = 6 + 16 * i;
    dir[e] = size >= 256 ? 0 : size; // 0 means 256
    dir[e + 1] = size >= 256 ? 0 : size;
    dir.writeUInt16LE(1, e + 4); // planes
    dir.writeUInt16LE(32, e + 6); // bits per pixel
    dir.writeUInt32LE(data.length, e + 8);
    dir.writeUInt32LE(offset, e + 12);
    offset += data.length;
  });
  return Buffer.concat([dir, ...images.map((i) => i.data)]);
}

// ICNS with PNG payloads only (accepted by macOS 10.7+): OSType, then size and data per entry.
function icns() {
  const entries = [
    ['icp4', 16],
    ['icp5', 32],
    ['ic11', 32], // 16@2x
    ['ic12', 64], // 32@2x
    ['ic07', 128],
    ['ic13', 256], // 128@2x
    ['ic08', 256],
    ['ic14', 512], // 256@2x
    ['ic09', 512],
    ['ic10', 1024], // 512@2x
  ].map(([type, size]) => {
    const png = render(size);
    const head = Buffer.alloc(8);
    head.write(type, 0, 'latin1');
    head.writeUInt32BE(png.length + 8, 4);
    return Buffer.concat([head, png]);
  });
  const body = Buffer.concat(entries);
  const head = Buffer.alloc(8);
  head.write('icns', 0, 'latin1');
  head.writeUInt32BE(body.length + 8, 4);
  return Buffer.concat([head, body]);
}

const out = (rel, data) => {
  const file = join(root, rel);
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, data);
  console.log(`${rel} (${data.length} bytes)`);
};

out('build/icon.png', render(1024));
for (const size of LINUX_SIZES) out(`build/icons/${size}x${size}.png`, render(size, size <= TIGHT_MAX));
out('build/icon.ico', ico(ICO_SIZES));
out('build/icon.icns', icns());
