/**
 * The safety gate in front of the order-form reader: an xlsx is an OPC package, a zip
 * (ECMA-376 Part 2). Before anything parses XML we check the zip's own directory —
 * entry count, declared sizes and compression ratios (zip bombs), macro and
 * external-link parts — and afterwards every entry we inflate is counted byte by byte
 * against the same budget, because declared sizes can lie.
 *
 * yauzl reads the central directory from the buffer without inflating anything and
 * inflates one entry at a time as a stream (Node's zlib), so an early stop is cheap.
 */
import { StringDecoder } from 'node:string_decoder';
import type { Readable } from 'node:stream';
import yauzl from 'yauzl';
import { OrderFormRefusal, type OrderFormLimits } from './order-form-refusal.js';

/** Entries smaller than this are never refused for their ratio alone: they cannot hurt. */
export const RATIO_FLOOR_BYTES = 1 << 20;

const ZIP_LOCAL_HEADER = Buffer.from([0x50, 0x4b, 0x03, 0x04]);

/** Where macros live in a package: VBA (.xlsm), Excel 4.0 macro sheets, ActiveX controls. */
const MACRO_PART = /(^|\/)vbaproject\.bin$|(^|\/)vbaprojectsignature[^/]*\.bin$|^xl\/macrosheets\/|^xl\/activex\//;
const EXTERNAL_LINK_PART = /^xl\/externallinks\//;

export interface ZipEntryInfo {
  readonly name: string;
  readonly compressedSize: number;
  readonly uncompressedSize: number;
}

export interface CheckedZip {
  /** Entries by lower-cased name (OPC part names are case-insensitive). */
  readonly entries: ReadonlyMap<string, ZipEntryInfo>;
  has(name: string): boolean;
  /** Inflates one entry, feeding decoded UTF-8 text to `onText`; throws to stop early. */
  streamText(name: string, onText: (text: string) => void): Promise<void>;
  /** Inflates one entry whole (small parts only: it still counts against the budget). */
  readText(name: string): Promise<string>;
  /** Bytes inflated so far by this package. */
  readonly inflatedBytes: number;
  close(): void;
}

/**
 * Checks the package's directory and returns a reader for its entries, or throws an
 * `OrderFormRefusal` (NOT_XLSX, CORRUPT, TOO_BIG, MACROS, EXTERNAL_LINKS).
 */
export async function openCheckedZip(file: Buffer, limits: OrderFormLimits): Promise<CheckedZip> {
  if (file.length < 4 || !file.subarray(0, 4).equals(ZIP_LOCAL_HEADER)) throw new OrderFormRefusal('ORDER_FORM.NOT_XLSX', limits);
  if (file.length > limits.maxUncompressedBytes) throw new OrderFormRefusal('ORDER_FORM.TOO_BIG', limits);

  let zip: yauzl.ZipFile;
  try {
    zip = await yauzl.fromBufferPromise(file, { lazyEntries: true, validateEntrySizes: true, strictFileNames: false, decodeStrings: true });
  } catch (err) {
    throw new OrderFormRefusal('ORDER_FORM.CORRUPT', limits, err);
  }
  try {
    if (zip.entryCount > limits.maxEntries) throw new OrderFormRefusal('ORDER_FORM.TOO_BIG', limits);
    const raw = await listEntries(zip, limits);
    checkDirectory(raw, limits);
    const pkg = new YauzlPackage(zip, raw, limits);
    checkContentTypes(await pkg.readText('[Content_Types].xml'), limits);
    return pkg;
  } catch (err) {
    zip.close();
    throw err;
  }
}

function listEntries(zip: yauzl.ZipFile, limits: OrderFormLimits): Promise<Map<string, yauzl.Entry>> {
  return new Promise((resolve, reject) => {
    const entries = new Map<string, yauzl.Entry>();
    let declared = 0;
    const fail = (err: unknown): void => {
      zip.removeAllListeners('entry');
      reject(err instanceof OrderFormRefusal ? err : new OrderFormRefusal('ORDER_FORM.CORRUPT', limits, err));
    };
    zip.on('entry', (entry: yauzl.Entry) => {
      const key = entry.fileName.replace(/^\/+/, '').toLowerCase();
      if (entries.size >= limits.maxEntries) return fail(new OrderFormRefusal('ORDER_FORM.TOO_BIG', limits));
      // Two entries with one name: which one a reader picks differs between libraries.
      if (entries.has(key)) return fail(new OrderFormRefusal('ORDER_FORM.CORRUPT', limits));
      declared += entry.uncompressedSize;
      if (declared > limits.maxUncompressedBytes) return fail(new OrderFormRefusal('ORDER_FORM.TOO_BIG', limits));
      if (entry.uncompressedSize > RATIO_FLOOR_BYTES && entry.uncompressedSize > limits.maxCompressionRatio * entry.compressedSize) {
        return fail(new OrderFormRefusal('ORDER_FORM.TOO_BIG', limits));
      }
      entries.set(key, entry);
      zip.readEntry();
    });
    zip.once('end', () => resolve(entries));
    zip.once('error', fail);
    zip.readEntry();
  });
}

function checkDirectory(entries: ReadonlyMap<string, yauzl.Entry>, limits: OrderFormLimits): void {
  for (const name of entries.keys()) {
    if (MACRO_PART.test(name)) throw new OrderFormRefusal('ORDER_FORM.MACROS', limits);
  }
  for (const name of entries.keys()) {
    if (EXTERNAL_LINK_PART.test(name)) throw new OrderFormRefusal('ORDER_FORM.EXTERNAL_LINKS', limits);
  }
  if (!entries.has('[content_types].xml') || !entries.has('xl/workbook.xml')) throw new OrderFormRefusal('ORDER_FORM.NOT_XLSX', limits);
}

/** A part can hide under any name; its content type (OPC, ECMA-376 Part 2, 10.1.2) says what it is. */
function checkContentTypes(xml: string, limits: OrderFormLimits): void {
  if (/macroEnabled|vbaProject|macrosheet|activeX/i.test(xml)) throw new OrderFormRefusal('ORDER_FORM.MACROS', limits);
  if (/externalLink/i.test(xml)) throw new OrderFormRefusal('ORDER_FORM.EXTERNAL_LINKS', limits);
}

class YauzlPackage implements CheckedZip {
  readonly entries: ReadonlyMap<string, ZipEntryInfo>;
  inflatedBytes = 0;

  constructor(
    private readonly zip: yauzl.ZipFile,
    private readonly raw: ReadonlyMap<string, yauzl.Entry>,
    private readonly limits: OrderFormLimits,
  ) {
    this.entries = new Map(
      [...raw].map(([k, e]) => [k, { name: e.fileName, compressedSize: e.compressedSize, uncompressedSize: e.uncompressedSize }]),
    );
  }

  has(name: string): boolean {
    return this.raw.has(name.toLowerCase());
  }

  async readText(name: string): Promise<string> {
    const parts: string[] = [];
    await this.streamText(name, (t) => {
      parts.push(t);
    });
    return parts.join('');
  }

  streamText(name: string, onText: (text: string) => void): Promise<void> {
    const entry = this.raw.get(name.toLowerCase());
    const limits = this.limits;
    if (!entry) return Promise.reject(new OrderFormRefusal('ORDER_FORM.NOT_OUR_FORM', limits));
    return new Promise((resolve, reject) => {
      let settled = false;
      let stream: Readable | undefined;
      const finish = (err?: unknown): void => {
        if (settled) return;
        settled = true;
        if (err === undefined) return resolve();
        stream?.destroy();
        reject(err);
      };
      this.zip.openReadStream(entry, (err, rs) => {
        if (err) return finish(new OrderFormRefusal('ORDER_FORM.CORRUPT', limits, err));
        stream = rs;
        const decoder = new StringDecoder('utf8');
        rs.on('data', (chunk: Buffer) => {
          if (settled) return;
          this.inflatedBytes += chunk.length;
          if (this.inflatedBytes > limits.maxUncompressedBytes) return finish(new OrderFormRefusal('ORDER_FORM.TOO_BIG', limits));
          try {
            onText(decoder.write(chunk));
          } catch (e) {
            finish(e);
          }
        });
        rs.on('end', () => {
          try {
            onText(decoder.end());
            finish();
          } catch (e) {
            finish(e);
          }
        });
        rs.on('error', (e: Error) => {
          // yauzl's validateEntrySizes: the entry inflates to more than its header declared.
          const code = /too many bytes/i.test(e.message) ? 'ORDER_FORM.TOO_BIG' : 'ORDER_FORM.CORRUPT';
          finish(new OrderFormRefusal(code, limits, e));
        });
      });
    });
  }

  close(): void {
    this.zip.close();
  }
}
