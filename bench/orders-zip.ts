/**
 * Zip bombs for `bench/orders.ts`, built from a real order form: the form mailca renders,
 * with its Order sheet replaced by an entry that inflates to gigabytes. The zip writer
 * follows test/fixtures/order-form/build-workbooks.ts (which the bench build does not
 * compile); no zip64, so an entry declares at most 4 GiB - 1.
 */
import zlib from 'node:zlib';
import yauzl from 'yauzl';

export interface ZipPart {
  readonly name: string;
  /** Raw deflate data (method 8). */
  readonly deflated: Buffer;
  /** What the headers say the entry inflates to. */
  readonly declaredSize: number;
  readonly crc: number;
}

/** A zip (PKWARE APPNOTE 4.3): local headers, central directory, end record. */
export function buildZip(parts: readonly ZipPart[]): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const p of parts) {
    if (p.declaredSize > 0xfffffffe || p.deflated.length > 0xfffffffe) throw new RangeError(`${p.name}: too large without zip64`);
    const name = Buffer.from(p.name, 'utf8');
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4); // version needed
    local.writeUInt16LE(0x0800, 6); // UTF-8 names
    local.writeUInt16LE(8, 8); // deflate
    local.writeUInt16LE(0, 10);
    local.writeUInt16LE(0x21, 12);
    local.writeUInt32LE(p.crc >>> 0, 14);
    local.writeUInt32LE(p.deflated.length, 18);
    local.writeUInt32LE(p.declaredSize, 22);
    local.writeUInt16LE(name.length, 26);
    local.writeUInt16LE(0, 28);
    locals.push(local, name, p.deflated);

    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(20, 4);
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(0x0800, 8);
    central.writeUInt16LE(8, 10);
    central.writeUInt16LE(0, 12);
    central.writeUInt16LE(0x21, 14);
    central.writeUInt32LE(p.crc >>> 0, 16);
    central.writeUInt32LE(p.deflated.length, 20);
    central.writeUInt32LE(p.declaredSize, 24);
    central.writeUInt16LE(name.length, 28);
    central.writeUInt32LE(offset, 42);
    centrals.push(central, name);
    offset += local.length + name.length + p.deflated.length;
  }
  const cd = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(parts.length, 8);
  end.writeUInt16LE(parts.length, 10);
  end.writeUInt32LE(cd.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, cd, end]);
}

export const partOf = (name: string, data: Buffer): ZipPart => ({ name, deflated: zlib.deflateRawSync(data), declaredSize: data.length, crc: zlib.crc32(data) });

/** Every entry of a (small, trusted) zip, inflated: the form mailca rendered. */
export async function entriesOf(xlsx: Buffer): Promise<Map<string, Buffer>> {
  const zip = await yauzl.fromBufferPromise(xlsx, { lazyEntries: true });
  const out = new Map<string, Buffer>();
  await new Promise<void>((resolve, reject) => {
    zip.on('entry', (entry: yauzl.Entry) => {
      zip.openReadStream(entry, (err, rs) => {
        if (err) return reject(err);
        const chunks: Buffer[] = [];
        rs.on('data', (c: Buffer) => chunks.push(c));
        rs.on('end', () => {
          out.set(entry.fileName, Buffer.concat(chunks));
          zip.readEntry();
        });
        rs.on('error', reject);
      });
    });
    zip.once('end', () => resolve());
    zip.once('error', reject);
    zip.readEntry();
  });
  zip.close();
  return out;
}

/**
 * A worksheet that starts as SpreadsheetML and goes on with `mib` MiB of spaces (white
 * space between elements, which an XML reader must read through): a 4 MiB block deflated
 * with a full flush (self-contained, byte-aligned) repeated, then an empty final block.
 * About 1/1000 of the inflated size.
 */
export function whitespaceSheet(mib: number): { deflated: Buffer; size: number; crc: number } {
  const head = Buffer.from('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>');
  const block = Buffer.alloc(4 << 20, 0x20);
  const flush = { level: 9, finishFlush: zlib.constants.Z_FULL_FLUSH };
  const headPiece = zlib.deflateRawSync(head, flush);
  const piece = zlib.deflateRawSync(block, flush);
  const pieces = Math.ceil(mib / 4);
  let crc = zlib.crc32(head);
  for (let i = 0; i < pieces; i++) crc = zlib.crc32(block, crc);
  return { deflated: Buffer.concat([headPiece, ...Array<Buffer>(pieces).fill(piece), Buffer.from([0x03, 0x00])]), size: head.length + pieces * block.length, crc };
}

/** The rendered form with `sheetName` replaced by a bomb whose headers declare `declaredSize` (default: the truth). */
export function formWithBomb(form: ReadonlyMap<string, Buffer>, sheetName: string, bomb: { deflated: Buffer; size: number; crc: number }, declaredSize = bomb.size): Buffer {
  if (!form.has(sheetName)) throw new Error(`the rendered form has no ${sheetName}`);
  return buildZip([...form].map(([name, data]) => (name === sheetName ? { name, deflated: bomb.deflated, declaredSize, crc: bomb.crc } : partOf(name, data))));
}
