/**
 * Collectors fed by `XmlScanner` for the SpreadsheetML parts the order form needs
 * (ECMA-376 Part 1, 18.3 worksheet, 18.4 shared strings, 18.2 workbook). Each keeps only
 * what the form uses — columns A–D of the Order sheet, the shared strings those cells
 * point to — so memory stays proportional to the rows accepted, not to the file.
 */
import { XmlFormatError, attribute, decodeXmlText, type XmlHandler } from './order-form-xml.js';

/** Excel's own cell limit is 32,767 characters; longer text is cut, not buffered. */
const MAX_CELL_CHARS = 32_768;
const MAX_SHEET_ROW = 1_048_576;

export class TooManyRows extends Error {
  constructor() {
    super('too many rows');
    this.name = 'TooManyRows';
  }
}

/** Thrown by a collector that has all it needs, to stop inflating the rest of the part. */
export class StopScan extends Error {
  constructor() {
    super('enough');
    this.name = 'StopScan';
  }
}

/** One cell as stored: literal text, or a shared-string index, or a formula (value dropped). */
export interface RawCell {
  readonly text: string;
  readonly sst: number; // -1 when the text is literal
  readonly formula: boolean;
}

/** Column number (1-based) of a cell reference such as `C12`; 0 if it has no letters. */
export function columnOf(ref: string): number {
  let col = 0;
  for (let i = 0; i < ref.length && i < 4; i++) {
    const c = ref.charCodeAt(i) | 0x20; // lower case
    if (c < 0x61 || c > 0x7a) break;
    col = col * 26 + (c - 0x60);
  }
  return col;
}

export interface SheetCollectorOptions {
  /** Highest column kept (4 = A–D). */
  readonly maxCol: number;
  /** Rows after this one are data rows and are counted. */
  readonly headerRow: number;
  /** More non-empty data rows than this throws `TooManyRows` at once. */
  readonly maxDataRows: number;
  /** Stop scanning after this row (e.g. 1 for a marker in A1); rows must be in order (they are, per 18.3.1.73). */
  readonly lastRow?: number;
}

interface OpenCell {
  col: number;
  type: string;
  formula: boolean;
  raw: string;
}

export class SheetCollector implements XmlHandler {
  /** Non-empty rows by worksheet row number; each an array indexed by column - 1. */
  readonly rows = new Map<number, (RawCell | undefined)[]>();
  dataRows = 0;
  private row = 0;
  private col = 0;
  private cells: (RawCell | undefined)[] = [];
  private cell: OpenCell | null = null;
  private capture = false;
  private inInline = false;
  private phonetic = 0;

  constructor(private readonly o: SheetCollectorOptions) {}

  open(name: string, attrs: string): void {
    switch (name) {
      case 'row': {
        const r = attribute(attrs, 'r');
        const n = r === undefined ? this.row + 1 : Number(r);
        if (!Number.isInteger(n) || n < 1 || n > MAX_SHEET_ROW) throw new XmlFormatError('bad row number');
        if (this.o.lastRow !== undefined && n > this.o.lastRow) throw new StopScan();
        this.row = n;
        this.col = 0;
        this.cells = [];
        return;
      }
      case 'c': {
        const r = attribute(attrs, 'r');
        const col = (r === undefined ? 0 : columnOf(r)) || this.col + 1;
        this.col = col;
        this.cell = col <= this.o.maxCol ? { col, type: attribute(attrs, 't') ?? 'n', formula: false, raw: '' } : null;
        return;
      }
      case 'f':
        if (this.cell) this.cell.formula = true;
        return;
      case 'v':
        if (this.cell && !this.cell.formula && this.cell.type !== 'inlineStr') this.capture = true;
        return;
      case 'is':
        this.inInline = true;
        return;
      case 't':
        if (this.cell && this.inInline && this.phonetic === 0 && !this.cell.formula) this.capture = true;
        return;
      case 'rPh':
        this.phonetic++;
        return;
      default:
        return;
    }
  }

  close(name: string): void {
    switch (name) {
      case 'v':
      case 't':
        this.capture = false;
        return;
      case 'is':
        this.inInline = false;
        return;
      case 'rPh':
        this.phonetic = Math.max(0, this.phonetic - 1);
        return;
      case 'c':
        if (this.cell) this.finishCell(this.cell);
        this.cell = null;
        this.capture = false;
        return;
      case 'row':
        this.finishRow();
        return;
      default:
        return;
    }
  }

  text(raw: string): void {
    if (this.capture && this.cell && this.cell.raw.length < MAX_CELL_CHARS) this.cell.raw += raw;
  }

  private finishCell(c: OpenCell): void {
    if (c.formula) {
      this.cells[c.col - 1] = { text: '', sst: -1, formula: true };
      return;
    }
    const text = decodeXmlText(c.raw).slice(0, MAX_CELL_CHARS);
    if (c.type === 's') {
      const i = Number(text.trim());
      if (text.trim() !== '' && Number.isInteger(i) && i >= 0) this.cells[c.col - 1] = { text: '', sst: i, formula: false };
      return;
    }
    const value = c.type === 'b' ? (text.trim() === '1' ? 'TRUE' : text.trim() === '0' ? 'FALSE' : text) : text;
    if (value.trim() !== '') this.cells[c.col - 1] = { text: value, sst: -1, formula: false };
  }

  private finishRow(): void {
    const cells = this.cells;
    this.cells = [];
    if (!cells.some((c) => c !== undefined)) return;
    if (this.row > this.o.headerRow && !this.rows.has(this.row)) {
      this.dataRows++;
      if (this.dataRows > this.o.maxDataRows) throw new TooManyRows();
    }
    const prev = this.rows.get(this.row);
    if (prev) cells.forEach((c, i) => c !== undefined && (prev[i] = c));
    else this.rows.set(this.row, cells);
  }
}

/** Keeps the shared strings (`<si>`) whose indices were asked for; stops after the last one. */
export class SharedStringsCollector implements XmlHandler {
  readonly found = new Map<number, string>();
  private index = -1;
  private keep = false;
  private capture = false;
  private phonetic = 0;
  private buf = '';
  private readonly last: number;

  constructor(private readonly wanted: ReadonlySet<number>) {
    let last = -1;
    for (const i of wanted) if (i > last) last = i;
    this.last = last;
  }

  open(name: string): void {
    if (name === 'si') {
      this.index++;
      if (this.index > this.last) throw new StopScan();
      this.keep = this.wanted.has(this.index);
      this.buf = '';
    } else if (name === 't') {
      if (this.keep && this.phonetic === 0) this.capture = true;
    } else if (name === 'rPh') {
      this.phonetic++;
    }
  }

  close(name: string): void {
    if (name === 't') this.capture = false;
    else if (name === 'rPh') this.phonetic = Math.max(0, this.phonetic - 1);
    else if (name === 'si' && this.keep) {
      this.found.set(this.index, decodeXmlText(this.buf).slice(0, MAX_CELL_CHARS));
      this.keep = false;
    }
  }

  text(raw: string): void {
    if (this.capture && this.buf.length < MAX_CELL_CHARS) this.buf += raw;
  }
}

export interface SheetRef {
  readonly name: string;
  readonly relId: string;
}

/** `xl/workbook.xml`: the sheets by name, and whether it references other workbooks. */
export class WorkbookCollector implements XmlHandler {
  readonly sheets: SheetRef[] = [];
  externalReferences = false;

  open(name: string, attrs: string): void {
    if (name === 'sheet' && this.sheets.length < 1000) {
      this.sheets.push({ name: attribute(attrs, 'name') ?? '', relId: attribute(attrs, 'id') ?? '' });
    } else if (name === 'externalReference' || name === 'externalReferences') {
      this.externalReferences = true;
    }
  }

  close(): void {}
  text(): void {}
}

export interface Relationship {
  readonly id: string;
  readonly type: string;
  readonly target: string;
  readonly external: boolean;
}

/** A relationships part (OPC, ECMA-376 Part 2, 9.3). */
export class RelationshipsCollector implements XmlHandler {
  readonly rels: Relationship[] = [];

  open(name: string, attrs: string): void {
    if (name !== 'Relationship' || this.rels.length >= 1000) return;
    this.rels.push({
      id: attribute(attrs, 'Id') ?? '',
      type: attribute(attrs, 'Type') ?? '',
      target: attribute(attrs, 'Target') ?? '',
      external: (attribute(attrs, 'TargetMode') ?? '').toLowerCase() === 'external',
    });
  }

  close(): void {}
  text(): void {}
}

/** A relationship target from `xl/workbook.xml` as a package part name (no leading slash). */
export function resolvePartName(target: string, baseDir = 'xl/'): string {
  const path = target.startsWith('/') ? target.slice(1) : baseDir + target;
  const out: string[] = [];
  for (const seg of path.split('/')) {
    if (seg === '' || seg === '.') continue;
    if (seg === '..') out.pop();
    else out.push(seg);
  }
  return out.join('/');
}
