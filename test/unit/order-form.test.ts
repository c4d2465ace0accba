import { randomBytes } from 'node:crypto';
import { inflateRawSync } from 'node:zlib';
import ExcelJS from 'exceljs';
import { describe, expect, it } from 'vitest';
import { DEFAULT_ORDER_FORM_LIMITS, ORDER_FORM_READER_LAYOUT, readOrderForm, type OrderFormRead } from '../../src/inbound/order-form-reader.js';
import { XmlFormatError, XmlScanner, decodeXmlText } from '../../src/inbound/order-form-xml.js';
import { openCheckedZip } from '../../src/inbound/order-form-zip.js';
import { ORDER_COLUMNS, ORDER_LAYOUT, renderOrderForm, type OrderFormParams } from '../../src/templates/order-form.js';
import { checkOrder } from '../../src/domain/order-rows.js';
import { HEADER, buildWorkbook, buildZip, orderSheetXml, rowXml, zeroBomb, type CellSpec } from '../fixtures/order-form/build-workbooks.js';

const BASE: OrderFormParams = { organisation: 'Acme School', phase: 'secondary', marker: 'mailca-form:v1:0123abcd', maxRows: 5000 };

async function entryText(xlsx: Buffer, name: string): Promise<string> {
  const zip = await openCheckedZip(xlsx, DEFAULT_ORDER_FORM_LIMITS);
  try {
    return await zip.readText(name);
  } finally {
    zip.close();
  }
}

function ok(r: OrderFormRead): Extract<OrderFormRead, { ok: true }> {
  if (!r.ok) throw new Error(`expected a read, got ${r.code}: ${r.message}`);
  return r;
}

async function loadWithExcelJs(xlsx: Buffer): Promise<ExcelJS.Workbook> {
  const wb = new ExcelJS.Workbook();
  await wb.xlsx.load(xlsx as unknown as ArrayBuffer);
  return wb;
}

/**
 * Runs `fn` and reports wall time, the highest RSS seen above the starting RSS (sampled
 * every millisecond while `fn` waits on inflation) and growth of the process's peak RSS.
 */
async function measured<T>(fn: () => Promise<T>): Promise<{ value: T; ms: number; peakGrowthMb: number; rssGrowthMb: number }> {
  const peak0 = process.resourceUsage().maxRSS;
  const rss0 = process.memoryUsage().rss;
  let highest = rss0;
  const sampler = setInterval(() => {
    highest = Math.max(highest, process.memoryUsage().rss);
  }, 1);
  const t0 = performance.now();
  try {
    const value = await fn();
    const ms = performance.now() - t0;
    highest = Math.max(highest, process.memoryUsage().rss);
    return {
      value,
      ms,
      peakGrowthMb: (process.resourceUsage().maxRSS - peak0) / 1024,
      rssGrowthMb: (highest - rss0) / (1 << 20),
    };
  } finally {
    clearInterval(sampler);
  }
}

const addr = (a: string): [number, number] => {
  const m = /^([A-Z]+)(\d+)$/.exec(a);
  if (!m) throw new Error(a);
  return [Number(m[2]), (m[1] ?? 'A').charCodeAt(0) - 64];
};

describe('order form layout', () => {
  it('the reader looks where the template writes', () => {
    expect(ORDER_FORM_READER_LAYOUT.columns).toEqual([...ORDER_COLUMNS]);
    expect(ORDER_FORM_READER_LAYOUT.sheet).toBe(ORDER_LAYOUT.sheet);
    expect(ORDER_FORM_READER_LAYOUT.headerRow).toBe(ORDER_LAYOUT.headerRow);
    expect(ORDER_FORM_READER_LAYOUT.firstDataRow).toBe(ORDER_LAYOUT.firstDataRow);
    for (const k of ['organisation', 'phase', 'type', 'duration'] as const) {
      expect([...ORDER_FORM_READER_LAYOUT.fieldCells[k]]).toEqual(addr(ORDER_LAYOUT.fieldCells[k]));
    }
  });
});

describe('renderOrderForm → readOrderForm', () => {
  it('reads back the marker and order fields of a blank form, with no rows', async () => {
    const xlsx = await renderOrderForm(BASE);
    const r = ok(await readOrderForm(xlsx));
    expect(r.marker).toBe(BASE.marker);
    expect(r.order).toEqual({ organisation: 'Acme School', phase: 'secondary', type: '', duration: '' });
    expect(r.rows).toEqual([]);
  });

  it('has dropdowns, input rules, a frozen header, instructions and a veryHidden marker sheet', async () => {
    const xlsx = await renderOrderForm(BASE);
    const sheet = await entryText(xlsx, 'xl/worksheets/sheet1.xml');
    const workbook = await entryText(xlsx, 'xl/workbook.xml');
    const validations = [...sheet.matchAll(/<dataValidation [^>]*>.*?<\/dataValidation>/g)].map((m) => m[0]);
    const bySqref = (sqref: string): string => validations.find((v) => v.includes(`sqref="${sqref}"`)) ?? '';
    expect(bySqref('B4')).toMatch(/type="list".*<formula1>&quot;primary,secondary,other&quot;<\/formula1>/);
    expect(bySqref('B5')).toMatch(/type="list".*<formula1>&quot;mailbox,sponsor&quot;<\/formula1>/);
    expect(bySqref('B6')).toMatch(/type="list".*<formula1>&quot;1 year,2 years,3 years&quot;<\/formula1>/);
    expect(bySqref('A9:A5008')).toMatch(/type="textLength".*showInputMessage="1".*showErrorMessage="1".*<formula1>1<\/formula1><formula2>64<\/formula2>/);
    expect(bySqref('B9:B5008')).toMatch(/type="textLength".*<formula1>1<\/formula1><formula2>64<\/formula2>/);
    expect(bySqref('C9:C5008')).toMatch(/type="custom".*FIND\(&quot;@&quot;,C9\)/);
    expect(bySqref('D9:D5008')).toMatch(/type="textLength" operator="greaterThanOrEqual".*<formula1>10<\/formula1>/);
    expect(sheet).toMatch(/<pane ySplit="8" topLeftCell="A9"[^>]*state="frozen"/);
    expect(workbook).toMatch(/<sheet [^>]*name="Instructions"/);
    expect(workbook).toMatch(/<sheet [^>]*name="mailca" state="veryHidden"/);
    const wb = await loadWithExcelJs(xlsx);
    const instructions = wb.getWorksheet('Instructions');
    const text = (instructions?.getColumn(1).values ?? []).join('\n');
    expect(text).toMatch(/shared password/i);
    expect(text).toMatch(/separately/);
    expect(text).toMatch(/Formulas are not allowed/);
    expect(text).toMatch(/one row per person/i);
    expect(text).toContain('5,000 rows');
    expect(wb.getWorksheet('Order')?.getColumn(3).width).toBeGreaterThan(30);
  });

  it('reads a form filled in by code from the rendered template (as a requester would)', async () => {
    const wb = await loadWithExcelJs(await renderOrderForm(BASE));
    const ws = wb.getWorksheet('Order');
    if (!ws) throw new Error('no Order sheet');
    ws.getCell(ORDER_LAYOUT.fieldCells.type).value = 'sponsor';
    ws.getCell(ORDER_LAYOUT.fieldCells.duration).value = '3 years';
    ws.getRow(9).values = ['  Ann ', 'Lee', 'ann@acme.example', 'correct horse battery'];
    ws.getRow(11).values = ['Bob', 'Ng', { text: 'bob@acme.example', hyperlink: 'mailto:bob@acme.example' }, 12345678901];
    const filled = Buffer.from(await wb.xlsx.writeBuffer());
    const r = ok(await readOrderForm(filled));
    expect(r.marker).toBe(BASE.marker);
    expect(r.order).toEqual({ organisation: 'Acme School', phase: 'secondary', type: 'sponsor', duration: '3 years' });
    expect(r.rows).toEqual([
      { row: 9, values: ['Ann', 'Lee', 'ann@acme.example', 'correct horse battery'], formulas: [false, false, false, false] },
      { row: 11, values: ['Bob', 'Ng', 'bob@acme.example', '12345678901'], formulas: [false, false, false, false] },
    ]);
  });

  it.each([
    ['=', '=HYPERLINK("http://evil.example","click")'],
    ['+', '+1+2'],
    ['-', '-2+3'],
    ['@', '@SUM(1,2)'],
    ['= with spaces', '=cmd|\' /C calc\'!A0'],
  ])('writes a value starting with %s back as a string cell and reads the same string', async (_lead, value) => {
    const xlsx = await renderOrderForm({ ...BASE, rows: [{ row: 9, values: [value, value, value, value] }] });
    const sheet = await entryText(xlsx, 'xl/worksheets/sheet1.xml');
    expect(sheet).not.toMatch(/<f[ >]/);
    for (const col of ['A', 'B', 'C', 'D']) expect(sheet).toMatch(new RegExp(`<c r="${col}9"[^>]* t="s"`));
    const r = ok(await readOrderForm(xlsx));
    expect(r.rows).toEqual([{ row: 9, values: [value, value, value, value], formulas: [false, false, false, false] }]);
  });

  it('highlights each problem cell in red with a comment, order fields included', async () => {
    const xlsx = await renderOrderForm({
      ...BASE,
      order: { type: 'mailbox', duration: '4 years' },
      rows: [
        { row: 9, values: ['Ann', 'Lee', 'ann@gmail.example', 'short'] },
        { row: 10, values: ['Bob', 'Ng', 'bob@acme.example', 'correct horse battery'] },
      ],
      problems: [
        { row: 9, column: 3, message: 'gmail.example is not one of your organisation’s mail domains.' },
        { row: 9, column: 4, message: 'The shared password needs at least 10 characters.' },
        { row: 0, column: 0, field: 'duration', message: 'Choose 1 year, 2 years or 3 years.' },
      ],
    });
    const ws = (await loadWithExcelJs(xlsx)).getWorksheet('Order');
    if (!ws) throw new Error('no Order sheet');
    const red = (a: string): string | undefined => {
      const fill = ws.getCell(a).fill;
      return fill && fill.type === 'pattern' ? fill.fgColor?.argb : undefined;
    };
    const note = (a: string): string => {
      const n = ws.getCell(a).note;
      return typeof n === 'string' ? n : (n?.texts ?? []).map((t) => t.text).join('');
    };
    expect(red('C9')).toBe('FFFFC7CE');
    expect(red('D9')).toBe('FFFFC7CE');
    expect(red('B6')).toBe('FFFFC7CE');
    expect(red('A9')).toBeUndefined();
    expect(red('C10')).toBeUndefined();
    expect(note('C9')).toContain('not one of your organisation');
    expect(note('D9')).toContain('at least 10 characters');
    expect(note('B6')).toContain('Choose 1 year');
    expect(await entryText(xlsx, 'xl/comments1.xml')).toContain('at least 10 characters');
    // The annotated workbook is still a form we read: same marker, same rows.
    const r = ok(await readOrderForm(xlsx));
    expect(r.marker).toBe(BASE.marker);
    expect(r.order.duration).toBe('4 years');
    expect(r.rows.map((x) => x.values[3])).toEqual(['short', 'correct horse battery']);
  });

  it('refuses rows above the data area and columns outside the form when annotating', async () => {
    await expect(renderOrderForm({ ...BASE, rows: [{ row: 8, values: ['x'] }] })).rejects.toThrow(RangeError);
    await expect(renderOrderForm({ ...BASE, problems: [{ row: 9, column: 5, message: 'x' }] })).rejects.toThrow(RangeError);
  });
});

describe('XmlScanner', () => {
  const xml =
    '<?xml version="1.0"?><!-- a > comment --><w:a xmlns:w="urn:x" k="v>1" q=\'it"s\'><b/><c r="A1">x &amp; y<![CDATA[<z>&]]></c>' +
    `<d long="${'0123456789'.repeat(300)}">t</d></w:a>`;
  const events = (chunks: string[]): string[] => {
    const out: string[] = [];
    let text = '';
    const flush = (): void => {
      if (text !== '') out.push(`text:${decodeXmlText(text)}`);
      text = '';
    };
    const scanner = new XmlScanner({
      open: (name, attrs) => {
        flush();
        out.push(`open:${name}:${attrs.trim().slice(0, 40)}`);
      },
      close: (name) => {
        flush();
        out.push(`close:${name}`);
      },
      text: (raw) => {
        text += raw;
      },
    });
    for (const c of chunks) scanner.push(c);
    scanner.end();
    return out;
  };

  it('gives the same events however the text is split into chunks', () => {
    const whole = events([xml]);
    expect(whole).toContain('text:x & y<z>&');
    expect(whole).toContain('open:a:xmlns:w="urn:x" k="v>1" q=\'it"s\'');
    expect(whole.filter((e) => e === 'close:b')).toHaveLength(1);
    for (const size of [1, 2, 3, 7, 64, 1000]) {
      const chunks: string[] = [];
      for (let i = 0; i < xml.length; i += size) chunks.push(xml.slice(i, i + size));
      expect(events(chunks), `chunks of ${size}`).toEqual(whole);
    }
  });

  it('refuses DTDs and unfinished tags', () => {
    expect(() => events(['<!DOCTYPE x [<!ENTITY a "b">]><x/>'])).toThrow(XmlFormatError);
    expect(() => events(['<x><y a="1"'])).toThrow(XmlFormatError);
  });
});

describe('readOrderForm: cells', () => {
  it('never evaluates or echoes formulas, whichever writer made them', async () => {
    const wb = await loadWithExcelJs(await renderOrderForm(BASE));
    const ws = wb.getWorksheet('Order');
    if (!ws) throw new Error('no Order sheet');
    ws.getCell('A9').value = { formula: 'HYPERLINK("http://evil.example","Ann")', result: 'Ann' };
    ws.getCell('B9').value = 'Lee';
    ws.getCell('C9').value = { formula: 'B9&"@acme.example"', result: 'Lee@acme.example' };
    ws.getCell('D9').value = 'correct horse battery';
    ws.getCell(ORDER_LAYOUT.fieldCells.type).value = { formula: '"mail"&"box"', result: 'mailbox' };
    const r = ok(await readOrderForm(Buffer.from(await wb.xlsx.writeBuffer())));
    expect(r.rows).toEqual([{ row: 9, values: ['', 'Lee', '', 'correct horse battery'], formulas: [true, false, true, false] }]);
    expect(r.order.type).toBe('');

    const hand = buildWorkbook({ sheetXml: orderSheetXml([[{ f: 'WEBSERVICE("http://x")', cached: '=EVIL()' }, 'Lee', 'lee@acme.example', { f: 'A1' }]]) });
    const h = ok(await readOrderForm(hand));
    expect(h.rows).toEqual([{ row: 9, values: ['', 'Lee', 'lee@acme.example', ''], formulas: [true, false, false, true] }]);
  });

  it('reads shared strings (rich text, phonetic runs, escapes), numbers, booleans and prefixed elements', async () => {
    const sst =
      '<?xml version="1.0"?><x:sst xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="3" uniqueCount="3">' +
      '<x:si><x:t>Zoë &amp; Co</x:t></x:si>' +
      '<x:si><x:r><x:t>O&apos;Brien</x:t></x:r><x:r><x:t xml:space="preserve"> Jr</x:t></x:r><x:rPh sb="0" eb="1"><x:t>ignored</x:t></x:rPh></x:si>' +
      '<x:si><x:t>line_x000D_break &#x263A;</x:t></x:si></x:sst>';
    const sheet =
      '<?xml version="1.0"?><x:worksheet xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><x:sheetData>' +
      rowXml(3, ['', 'Acme']).replace(/<(\/?)(row|c|is|t)\b/g, '<$1x:$2') +
      rowXml(8, HEADER) +
      '<x:row r="9"><x:c r="A9" t="s"><x:v>0</x:v></x:c><x:c r="B9" t="s"><x:v>1</x:v></x:c><x:c r="C9" t="b"><x:v>1</x:v></x:c><x:c r="D9"><x:v>1.5E-3</x:v></x:c><x:c r="E9" t="s"><x:v>2</x:v></x:c></x:row>' +
      '<x:row><x:c t="s"><x:v>2</x:v></x:c><x:c/><x:c t="inlineStr"><x:is><x:t><![CDATA[a<b>&c]]></x:t></x:is></x:c></x:row>' +
      '</x:sheetData></x:worksheet>';
    const xlsx = buildWorkbook({
      sheetXml: sheet,
      extraEntries: [{ name: 'xl/sharedStrings.xml', data: sst }],
      extraWorkbookRels: '<Relationship Id="rId9" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/>',
    });
    const r = ok(await readOrderForm(xlsx));
    expect(r.marker).toBeNull();
    expect(r.order.organisation).toBe('Acme');
    expect(r.rows).toEqual([
      { row: 9, values: ['Zoë & Co', "O'Brien Jr", 'TRUE', '1.5E-3'], formulas: [false, false, false, false] },
      { row: 10, values: ['line\rbreak ☺', '', 'a<b>&c', ''], formulas: [false, false, false, false] },
    ]);
  });

  it('accepts exactly maxRows data rows and refuses one more', async () => {
    const limits = { ...DEFAULT_ORDER_FORM_LIMITS, maxRows: 3 };
    const rows = (n: number): CellSpec[][] => Array.from({ length: n }, (_, i) => [`F${i}`, `L${i}`, `p${i}@acme.example`, 'correct horse battery']);
    expect(ok(await readOrderForm(buildWorkbook({ sheetXml: orderSheetXml(rows(3)) }), limits)).rows).toHaveLength(3);
    const r = await readOrderForm(buildWorkbook({ sheetXml: orderSheetXml(rows(4)) }), limits);
    expect(r).toMatchObject({ ok: false, code: 'ORDER_FORM.TOO_MANY_ROWS' });
    expect(r.ok ? '' : r.message).toContain('at most 3 rows');
  });
});

const CT_XML = 'application/vnd.openxmlformats-officedocument.spreadsheetml';
const oneRow: CellSpec[][] = [['Ann', 'Lee', 'ann@acme.example', 'correct horse battery']];

/** Built once per case; the refusal itself is what is timed. */
const hostile: { name: string; code: string; build: () => Buffer | Promise<Buffer> }[] = [
  { name: 'CSV bytes renamed .xlsx', code: 'ORDER_FORM.NOT_XLSX', build: () => Buffer.from(`${HEADER.join(',')}\nAnn,Lee,ann@acme.example,correct horse battery\n`) },
  { name: 'empty file', code: 'ORDER_FORM.NOT_XLSX', build: () => Buffer.alloc(0) },
  { name: 'OLE2 (.xls or password-protected)', code: 'ORDER_FORM.NOT_XLSX', build: () => Buffer.from('d0cf11e0a1b11ae1000000000000000000', 'hex') },
  { name: 'a zip that is not a workbook', code: 'ORDER_FORM.NOT_XLSX', build: () => buildZip([{ name: 'readme.txt', data: 'hello' }]) },
  { name: 'truncated zip', code: 'ORDER_FORM.CORRUPT', build: async () => (await renderOrderForm(BASE)).subarray(0, 4000) },
  {
    name: 'entry whose deflate data is garbage',
    code: 'ORDER_FORM.CORRUPT',
    build: () => {
      const good = buildWorkbook({ sheetXml: orderSheetXml(oneRow) });
      const i = good.indexOf('xl/workbook.xml') + 'xl/workbook.xml'.length;
      good.fill(0xff, i, i + 40);
      return good;
    },
  },
  { name: 'a DTD (entity expansion)', code: 'ORDER_FORM.CORRUPT', build: () => buildWorkbook({ sheetXml: '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><worksheet><sheetData/></worksheet>' }) },
  {
    name: 'one tag longer than 1 MiB (incompressible, so the ratio check passes)',
    code: 'ORDER_FORM.CORRUPT',
    build: () => buildWorkbook({ sheetXml: orderSheetXml(oneRow).replace('<row r="9">', `<row r="9" x="${randomBytes(3 << 20).toString('base64')}">`) }),
  },
  {
    name: 'zip bomb: 1 GiB of zeros, sizes declared truthfully',
    code: 'ORDER_FORM.TOO_BIG',
    build: () => buildWorkbook({ sheetXml: orderSheetXml(oneRow), extraEntries: [{ name: 'xl/media/image1.png', raw: zeroBomb(1024) }] }),
  },
  {
    name: 'zip bomb: 1 GiB of zeros declared as 1 KiB, in the sheet itself',
    code: 'ORDER_FORM.TOO_BIG',
    build: () => {
      const bomb = zeroBomb(1024);
      const good = buildWorkbook({ sheetXml: '' });
      // The same workbook with the sheet replaced by the bomb, its sizes lying.
      return buildZip([
        ...['[Content_Types].xml', '_rels/.rels', 'xl/workbook.xml', 'xl/_rels/workbook.xml.rels'].map((name) => ({ name, data: extract(good, name) })),
        { name: 'xl/worksheets/sheet1.xml', raw: { ...bomb, size: 1024 } },
      ]);
    },
  },
  {
    name: 'zip bomb: over the total though each entry is modest',
    code: 'ORDER_FORM.TOO_BIG',
    build: () => buildWorkbook({ sheetXml: orderSheetXml(oneRow), extraEntries: Array.from({ length: 30 }, (_, i) => ({ name: `xl/media/p${i}.bin`, data: Buffer.alloc(4096), declaredSize: 2 << 20 })) }),
  },
  {
    name: 'too many entries',
    code: 'ORDER_FORM.TOO_BIG',
    build: () => buildWorkbook({ sheetXml: orderSheetXml(oneRow), extraEntries: Array.from({ length: 600 }, (_, i) => ({ name: `xl/media/e${i}.txt`, data: 'x' })) }),
  },
  {
    name: '100,000 data rows',
    code: 'ORDER_FORM.TOO_MANY_ROWS',
    build: () => buildWorkbook({ sheetXml: orderSheetXml(hundredThousandRows()) }),
  },
  {
    name: 'macro-enabled workbook (vbaProject.bin)',
    code: 'ORDER_FORM.MACROS',
    build: () =>
      buildWorkbook({
        sheetXml: orderSheetXml(oneRow),
        extraEntries: [{ name: 'xl/vbaProject.bin', data: Buffer.from('d0cf11e0a1b11ae1', 'hex') }],
        extraContentTypes: '<Default Extension="bin" ContentType="application/vnd.ms-office.vbaProject"/>',
      }),
  },
  {
    name: 'macro content type under another part name',
    code: 'ORDER_FORM.MACROS',
    build: () =>
      buildWorkbook({
        sheetXml: orderSheetXml(oneRow),
        extraContentTypes: '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.ms-excel.sheet.macroEnabled.main+xml"/>',
      }),
  },
  {
    name: 'external link part',
    code: 'ORDER_FORM.EXTERNAL_LINKS',
    build: () =>
      buildWorkbook({
        sheetXml: orderSheetXml(oneRow),
        extraEntries: [{ name: 'xl/externalLinks/externalLink1.xml', data: '<externalLink/>' }],
        extraContentTypes: `<Override PartName="/xl/externalLinks/externalLink1.xml" ContentType="${CT_XML}.externalLink+xml"/>`,
      }),
  },
  {
    name: 'external relationship from the workbook',
    code: 'ORDER_FORM.EXTERNAL_LINKS',
    build: () =>
      buildWorkbook({
        sheetXml: orderSheetXml(oneRow),
        extraWorkbookRels: '<Relationship Id="rId7" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/externalLinkPath" Target="file:///C:/secret.xlsx" TargetMode="External"/>',
      }),
  },
  { name: 'no Order sheet', code: 'ORDER_FORM.NOT_OUR_FORM', build: () => buildWorkbook({ sheetXml: orderSheetXml(oneRow), sheetName: 'Sheet1' }) },
  {
    name: 'header row moved',
    code: 'ORDER_FORM.NOT_OUR_FORM',
    build: () => buildWorkbook({ sheetXml: orderSheetXml(oneRow).replace('<row r="8">', '<row r="7">').replace(/r="([A-D])8"/g, 'r="$17"') }),
  },
];

function hundredThousandRows(): CellSpec[][] {
  // Varied like real data so the zip's ratio is ordinary and the row count is what refuses it.
  let seed = 12345;
  const rnd = (): string => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed.toString(36);
  };
  return Array.from({ length: 100_000 }, () => [rnd(), rnd(), `${rnd()}@acme.example`, rnd() + rnd()]);
}

const extractCache = new Map<string, string>();
function extract(xlsx: Buffer, name: string): string {
  // Parts of a workbook we built ourselves, stored deflated: inflate by scanning local headers.
  const key = `${xlsx.length}:${name}`;
  const hit = extractCache.get(key);
  if (hit !== undefined) return hit;
  let at = 0;
  while (at < xlsx.length && xlsx.readUInt32LE(at) === 0x04034b50) {
    const method = xlsx.readUInt16LE(at + 8);
    const csize = xlsx.readUInt32LE(at + 18);
    const nlen = xlsx.readUInt16LE(at + 26);
    const elen = xlsx.readUInt16LE(at + 28);
    const entryName = xlsx.toString('utf8', at + 30, at + 30 + nlen);
    const data = xlsx.subarray(at + 30 + nlen + elen, at + 30 + nlen + elen + csize);
    if (entryName === name) {
      const text = (method === 8 ? inflateRawSync(data) : data).toString('utf8');
      extractCache.set(key, text);
      return text;
    }
    at += 30 + nlen + elen + csize;
  }
  throw new Error(`no ${name}`);
}
describe('readOrderForm: hostile workbooks are refused quickly with bounded memory', () => {
  const measurements: string[] = [];

  it.each(hostile)('$name → $code', async ({ build, code }) => {
    const file = await build();
    const { value: r, ms, peakGrowthMb, rssGrowthMb } = await measured(() => readOrderForm(file));
    measurements.push(`${code.padEnd(26)} ${ms.toFixed(1).padStart(7)} ms  peak +${peakGrowthMb.toFixed(1)} MB  rss +${rssGrowthMb.toFixed(1)} MB  (${file.length} bytes)  ${hostile.find((h) => h.build === build)?.name}`);
    expect(r).toMatchObject({ ok: false, code });
    if (!r.ok) {
      // One plain sentence that says what to do.
      expect(r.message).toMatch(/^[A-Z].*; please .*\.$/);
      expect(r.message.split(/\.\s/)).toHaveLength(1);
    }
    // Loose bounds: they catch pathologies (inflating the bomb, building 100k rows), not speed.
    expect(ms).toBeLessThan(1000);
    expect(peakGrowthMb).toBeLessThan(100);
    expect(rssGrowthMb).toBeLessThan(100);
  });

  it('prints the measurements', () => {
    console.log(`order-form hostile inputs:\n${measurements.join('\n')}`);
  });
});

describe('readOrderForm: invisible formatting characters reach the row check as written', () => {
  it('keeps bidi and zero-width characters in name cells, whether typed, referenced or escaped, and the check names them', async () => {
    const sheet = orderSheetXml([
      ['Gi\u202Etxt.exe', 'Lee', 'ann@acme.example', 'correct horse battery'],
      ['Bob', 'N\u0430me\u200B', 'bob@acme.example', 'correct horse battery'],
      ['Cy', 'Ng', 'cy@acme.example', 'correct horse battery'],
    ]).replace('>Cy<', '>C&#x2066;y_x200D_<');
    const r = ok(await readOrderForm(buildWorkbook({ sheetXml: sheet })));
    expect(r.rows.map((x) => x.values.slice(0, 2))).toEqual([
      ['Gi\u202Etxt.exe', 'Lee'],
      ['Bob', 'N\u0430me\u200B'],
      ['C\u2066y\u200D', 'Ng'],
    ]);
    const checked = checkOrder(
      { order: r.order, rows: r.rows },
      { organisationName: 'Acme', domains: [{ domain: 'acme.example', schoolOwned: false }], liveMailboxes: new Set(), creditsAvailable: 10, maxRows: 10 },
    );
    expect(checked.problems).toEqual([
      { row: 9, column: 1, message: 'First name contains an invisible formatting character (U+202E RIGHT-TO-LEFT OVERRIDE); type it again without it.' },
      { row: 10, column: 2, message: 'Last name contains an invisible formatting character (U+200B ZERO WIDTH SPACE); type it again without it.' },
      { row: 11, column: 1, message: 'First name contains invisible formatting characters (U+2066 LEFT-TO-RIGHT ISOLATE, U+200D ZERO WIDTH JOINER); type it again without them.' },
    ]);
    expect(checked.rows).toEqual([]);
  });
});
