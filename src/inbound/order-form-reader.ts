/**
 * Reads an uploaded S/MIME order form (xlsx) into plain rows, refusing hostile or foreign
 * workbooks with a stable code and a sentence for the requester.
 *
 * Order of work, cheapest refusal first:
 * 1. the zip gate (`order-form-zip.ts`): signature, directory, declared sizes and ratios,
 *    macro and external-link parts, content types; every inflated byte is counted;
 * 2. workbook and its relationships: find the "Order" and "mailca" sheets;
 * 3. the Order sheet is scanned as it inflates, keeping columns A–D only and stopping at
 *    the first data row past `maxRows`;
 * 4. only the shared strings those cells use are kept.
 * No xlsx library parses the upload, and formulas are never evaluated: a cell with `<f>`
 * reads as '' with `formulas[i] = true`.
 */
import {
  DEFAULT_ORDER_FORM_LIMITS,
  OrderFormRefusal,
  refusalMessage,
  type OrderFormLimits,
  type OrderFormRefusalCode,
} from './order-form-refusal.js';
import {
  RelationshipsCollector,
  SharedStringsCollector,
  SheetCollector,
  StopScan,
  TooManyRows,
  WorkbookCollector,
  resolvePartName,
  type RawCell,
} from './order-form-sheet.js';
import { XmlFormatError, XmlScanner, type XmlHandler } from './order-form-xml.js';
import { openCheckedZip, type CheckedZip } from './order-form-zip.js';

export { DEFAULT_ORDER_FORM_LIMITS, type OrderFormLimits, type OrderFormRefusalCode } from './order-form-refusal.js';

/**
 * Where the reader looks. It must match `ORDER_LAYOUT` in `src/templates/order-form.ts`
 * (a unit test checks they agree); inbound may not import templates, hence the copy.
 */
export const ORDER_FORM_READER_LAYOUT = Object.freeze({
  sheet: 'Order',
  markerSheet: 'mailca',
  columns: ['First name', 'Last name', 'Registrant Email', 'Shared password'] as readonly string[],
  /** [row, column], 1-based. */
  fieldCells: Object.freeze({ organisation: [3, 2], phase: [4, 2], type: [5, 2], duration: [6, 2] } as const),
  headerRow: 8,
  firstDataRow: 9,
});

export interface OrderFormRow {
  /** Worksheet row number. */
  row: number;
  /** One trimmed string per column of the form. */
  values: string[];
  /** True where the cell held a formula; its value is then '' (never evaluated). */
  formulas: boolean[];
}

export type OrderFormRead =
  | {
      ok: true;
      marker: string | null;
      order: { organisation: string; phase: string; type: string; duration: string };
      rows: OrderFormRow[];
    }
  | { ok: false; code: OrderFormRefusalCode; message: string };

const SHEET_REL = /\/worksheet$/;
const SHARED_STRINGS_REL = /\/sharedStrings$/;

export async function readOrderForm(file: Buffer, limits: OrderFormLimits = DEFAULT_ORDER_FORM_LIMITS): Promise<OrderFormRead> {
  let zip: CheckedZip | undefined;
  try {
    zip = await openCheckedZip(file, limits);
    return await readPackage(zip, limits);
  } catch (err) {
    const code = refusalCode(err);
    // Anything else is a bug in this reader, not a verdict on the file: let it be seen.
    if (code === undefined) throw err;
    return { ok: false, code, message: err instanceof OrderFormRefusal ? err.message : refusalMessage(code, limits) };
  } finally {
    zip?.close();
  }
}

function refusalCode(err: unknown): OrderFormRefusalCode | undefined {
  if (err instanceof OrderFormRefusal) return err.code;
  if (err instanceof TooManyRows) return 'ORDER_FORM.TOO_MANY_ROWS';
  if (err instanceof XmlFormatError) return 'ORDER_FORM.CORRUPT';
  return undefined;
}

async function scan(zip: CheckedZip, part: string, handler: XmlHandler): Promise<void> {
  const scanner = new XmlScanner(handler);
  try {
    await zip.streamText(part, (t) => scanner.push(t));
    scanner.end();
  } catch (err) {
    if (!(err instanceof StopScan)) throw err;
  }
}

async function readPackage(zip: CheckedZip, limits: OrderFormLimits): Promise<OrderFormRead> {
  const L = ORDER_FORM_READER_LAYOUT;

  // Step 1: the workbook's sheets and where their parts are.
  const workbook = new WorkbookCollector();
  await scan(zip, 'xl/workbook.xml', workbook);
  if (workbook.externalReferences) throw new OrderFormRefusal('ORDER_FORM.EXTERNAL_LINKS', limits);
  if (!zip.has('xl/_rels/workbook.xml.rels')) throw new OrderFormRefusal('ORDER_FORM.CORRUPT', limits);
  const rels = new RelationshipsCollector();
  await scan(zip, 'xl/_rels/workbook.xml.rels', rels);
  // A workbook-level relationship to the outside world is a link to another file (a
  // hyperlink typed into a cell lives in the sheet's own relationships and is harmless).
  if (rels.rels.some((r) => r.external)) throw new OrderFormRefusal('ORDER_FORM.EXTERNAL_LINKS', limits);
  const sheetPart = (name: string): string | undefined => {
    const sheet = workbook.sheets.find((s) => s.name.toLowerCase() === name.toLowerCase());
    const rel = sheet && rels.rels.find((r) => r.id === sheet.relId && SHEET_REL.test(r.type));
    const part = rel && resolvePartName(rel.target);
    return part && zip.has(part) ? part : undefined;
  };
  const orderPart = sheetPart(L.sheet);
  if (!orderPart) throw new OrderFormRefusal('ORDER_FORM.NOT_OUR_FORM', limits);

  // Step 2: the Order sheet, columns A–D, refused as soon as it has too many data rows.
  const order = new SheetCollector({ maxCol: L.columns.length, headerRow: L.headerRow, maxDataRows: limits.maxRows });
  await scan(zip, orderPart, order);

  // Step 3: the marker in the hidden sheet's A1.
  const markerPart = sheetPart(L.markerSheet);
  const marker = new SheetCollector({ maxCol: 1, headerRow: 1, maxDataRows: 0, lastRow: 1 });
  if (markerPart) await scan(zip, markerPart, marker);

  // Step 4: only the shared strings used by the cells kept.
  const wanted = new Set<number>();
  for (const cells of [...order.rows.values(), ...marker.rows.values()]) {
    for (const c of cells) if (c && c.sst >= 0) wanted.add(c.sst);
  }
  const strings = new SharedStringsCollector(wanted);
  if (wanted.size > 0) {
    const sstRel = rels.rels.find((r) => SHARED_STRINGS_REL.test(r.type));
    const sstPart = sstRel ? resolvePartName(sstRel.target) : 'xl/sharedStrings.xml';
    if (!zip.has(sstPart)) throw new OrderFormRefusal('ORDER_FORM.CORRUPT', limits);
    await scan(zip, sstPart, strings);
  }
  const valueOf = (c: RawCell | undefined): string => {
    if (!c || c.formula) return '';
    return (c.sst >= 0 ? (strings.found.get(c.sst) ?? '') : c.text).trim();
  };
  const cellAt = (row: number, col: number): RawCell | undefined => order.rows.get(row)?.[col - 1];

  // Step 5: is this our form? The header row must still be where we put it.
  const header = L.columns.map((_, i) => valueOf(cellAt(L.headerRow, i + 1)).toLowerCase());
  if (header.some((h, i) => h !== L.columns[i]?.toLowerCase())) throw new OrderFormRefusal('ORDER_FORM.NOT_OUR_FORM', limits);

  const field = ([row, col]: readonly [number, number]): string => valueOf(cellAt(row, col));
  const rows: OrderFormRow[] = [];
  for (const [row, cells] of [...order.rows].sort((a, b) => a[0] - b[0])) {
    if (row < L.firstDataRow) continue;
    const values = L.columns.map((_, i) => valueOf(cells[i]));
    const formulas = L.columns.map((_, i) => cells[i]?.formula === true);
    if (values.every((v) => v === '') && !formulas.some(Boolean)) continue;
    rows.push({ row, values, formulas });
  }
  const markerText = valueOf(marker.rows.get(1)?.[0]);
  return {
    ok: true,
    marker: markerText === '' ? null : markerText,
    order: {
      organisation: field(L.fieldCells.organisation),
      phase: field(L.fieldCells.phase),
      type: field(L.fieldCells.type),
      duration: field(L.fieldCells.duration),
    },
    rows,
  };
}
