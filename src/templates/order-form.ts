/**
 * The S/MIME order form (xlsx) a requester fills in (PRODUCT.md, journey B), and the same
 * workbook annotated when rows come back wrong: bad cells filled red with a comment.
 *
 * Written with exceljs. Everything a requester typed is written back as a string cell
 * (`t="s"`), never as a formula, whatever it starts with (`=`, `+`, `-`, `@`): exceljs
 * makes a formula only from a `{ formula }` object, and the data columns are formatted
 * as Text (`@`) so Excel also keeps what is typed there as text.
 *
 * The reader (`src/inbound/order-form-reader.ts`) keeps its own copy of ORDER_LAYOUT;
 * a unit test checks the two agree.
 */
import ExcelJS from 'exceljs';

export const ORDER_COLUMNS = ['First name', 'Last name', 'Registrant Email', 'Shared password'] as const;

export const ORDER_PHASES = ['primary', 'secondary', 'other'] as const;
export const ORDER_TYPES = ['mailbox', 'sponsor'] as const;
export const ORDER_DURATIONS = ['1 year', '2 years', '3 years'] as const;

export interface OrderFormParams {
  /** Pre-filled, not meant to be edited. */
  readonly organisation: string;
  readonly phase: 'primary' | 'secondary' | 'other';
  /** Opaque signed form-version marker computed by the caller; stored in the veryHidden sheet "mailca", A1. */
  readonly marker: string;
  /** Rows with input rules (the caller's default is 5,000). */
  readonly maxRows: number;
  /** For the annotated reply: the order fields as read back. */
  readonly order?: { readonly type?: string; readonly duration?: string };
  /** For the annotated reply: the rows as read back; `row` is the worksheet row number. */
  readonly rows?: readonly { readonly row: number; readonly values: readonly string[] }[];
  /** Cells to highlight: `column` is 1-based within ORDER_COLUMNS, 0 for the order fields (then `field`; none = organisation). */
  readonly problems?: readonly {
    readonly row: number;
    readonly column: number;
    readonly field?: 'type' | 'duration' | 'phase';
    readonly message: string;
  }[];
}

export const ORDER_LAYOUT = {
  sheet: 'Order',
  fieldCells: { organisation: 'B3', phase: 'B4', type: 'B5', duration: 'B6' },
  headerRow: 8,
  firstDataRow: 9,
} as const satisfies {
  sheet: 'Order';
  fieldCells: { organisation: string; phase: string; type: string; duration: string };
  headerRow: number;
  firstDataRow: number;
};

export const MARKER_SHEET = 'mailca';

/** exceljs keeps ranged data validations in `worksheet.dataValidations`, which its typings omit. */
interface RangeValidations {
  dataValidations: { add(range: string, validation: ExcelJS.DataValidation): void };
}

const RED_FILL: ExcelJS.Fill = { type: 'pattern', pattern: 'solid', fgColor: { argb: 'FFFFC7CE' } };
const RED_FONT: Partial<ExcelJS.Font> = { color: { argb: 'FF9C0006' } };
const GREY_FILL: ExcelJS.Fill = { type: 'pattern', pattern: 'solid', fgColor: { argb: 'FFEDEDED' } };
const HEADER_FILL: ExcelJS.Fill = { type: 'pattern', pattern: 'solid', fgColor: { argb: 'FFDDEBF7' } };
const HINT_FONT: Partial<ExcelJS.Font> = { italic: true, color: { argb: 'FF595959' } };

/** A list validation's inline list: quoted, comma-separated (ECMA-376 18.3.1.32). */
const listOf = (items: readonly string[]): string => `"${items.join(',')}"`;
/** A string literal inside a formula: quotes doubled. */
const formulaString = (s: string): string => `"${s.replace(/"/g, '""')}"`;

export async function renderOrderForm(p: OrderFormParams): Promise<Buffer> {
  if (!Number.isInteger(p.maxRows) || p.maxRows < 1) throw new RangeError('maxRows must be a positive integer');
  const wb = new ExcelJS.Workbook();
  wb.creator = 'mailca';
  const lastRow = ORDER_LAYOUT.firstDataRow + p.maxRows - 1;

  const ws = wb.addWorksheet(ORDER_LAYOUT.sheet, {
    views: [{ state: 'frozen', ySplit: ORDER_LAYOUT.headerRow, topLeftCell: `A${ORDER_LAYOUT.firstDataRow}`, activeCell: 'B5' }],
  });
  buildOrderSheet(ws, p, lastRow);
  buildInstructions(wb.addWorksheet('Instructions'), p);
  const hidden = wb.addWorksheet(MARKER_SHEET, { state: 'veryHidden' });
  hidden.getCell('A1').value = p.marker;

  if (p.rows || p.problems) annotate(ws, p);
  // Keep the Order sheet the one that opens.
  wb.views = [{ x: 0, y: 0, width: 20000, height: 12000, firstSheet: 0, activeTab: 0, visibility: 'visible' }];
  const out = await wb.xlsx.writeBuffer();
  return Buffer.from(out as ArrayBuffer);
}

function buildOrderSheet(ws: ExcelJS.Worksheet, p: OrderFormParams, lastRow: number): void {
  const v = (ws as unknown as RangeValidations).dataValidations;
  const widths = [26, 30, 38, 26];
  widths.forEach((width, i) => {
    const col = ws.getColumn(i + 1);
    col.width = width;
    // Text format: what is typed stays text in Excel, formulas included.
    col.numFmt = '@';
  });

  ws.getCell('A1').value = 'S/MIME certificate order';
  ws.getCell('A1').font = { bold: true, size: 14 };
  ws.getCell('A2').value = 'Choose the order fields below, then fill in one row per person. The Instructions sheet explains each column.';
  ws.getCell('A2').font = HINT_FONT;

  const F = ORDER_LAYOUT.fieldCells;
  const field = (address: string, label: string, value: string, hint: string): ExcelJS.Cell => {
    const row = ws.getCell(address).row;
    ws.getCell(`A${row}`).value = label;
    ws.getCell(`A${row}`).font = { bold: true };
    const cell = ws.getCell(address);
    cell.value = value;
    cell.border = { bottom: { style: 'thin' } };
    ws.getCell(`C${row}`).value = hint;
    ws.getCell(`C${row}`).font = HINT_FONT;
    return cell;
  };
  const common = { allowBlank: false, showInputMessage: true, showErrorMessage: true, errorStyle: 'stop' } as const;

  const org = field(F.organisation, 'Organisation', p.organisation, 'Filled in by us; do not change.');
  org.fill = GREY_FILL;
  v.add(F.organisation, {
    type: 'custom',
    // Excel caps a validation formula at 255 characters; a very long name goes unchecked here (the reader compares anyway).
    formulae: p.organisation.length <= 200 ? [`EXACT(${F.organisation},${formulaString(p.organisation)})`] : ['TRUE'],
    ...common,
    promptTitle: 'Organisation',
    prompt: 'Filled in by us. Please leave it as it is.',
    errorTitle: 'Organisation',
    error: 'The organisation is filled in by us and cannot be changed.',
  });

  field(F.phase, 'Phase', p.phase, 'primary, secondary or other');
  v.add(F.phase, {
    type: 'list',
    formulae: [listOf(ORDER_PHASES)],
    ...common,
    promptTitle: 'Phase',
    prompt: 'Choose primary, secondary or other.',
    errorTitle: 'Phase',
    error: 'Please choose primary, secondary or other from the list.',
  });

  field(F.type, 'S/MIME type', p.order?.type ?? '', 'mailbox: the email address only; sponsor: also the person and the organisation');
  v.add(F.type, {
    type: 'list',
    formulae: [listOf(ORDER_TYPES)],
    ...common,
    promptTitle: 'S/MIME type',
    prompt: 'Choose mailbox or sponsor.',
    errorTitle: 'S/MIME type',
    error: 'Please choose mailbox or sponsor from the list.',
  });

  field(F.duration, 'Duration', p.order?.duration ?? '', '1, 2 or 3 years; one credit per certificate whatever the duration');
  v.add(F.duration, {
    type: 'list',
    formulae: [listOf(ORDER_DURATIONS)],
    ...common,
    promptTitle: 'Duration',
    prompt: 'Choose 1 year, 2 years or 3 years.',
    errorTitle: 'Duration',
    error: 'Please choose 1 year, 2 years or 3 years from the list.',
  });

  const header = ws.getRow(ORDER_LAYOUT.headerRow);
  ORDER_COLUMNS.forEach((name, i) => {
    const cell = header.getCell(i + 1);
    cell.value = name;
    cell.font = { bold: true };
    cell.fill = HEADER_FILL;
    cell.border = { bottom: { style: 'medium' } };
  });

  const first = ORDER_LAYOUT.firstDataRow;
  const rowRules = { allowBlank: true, showInputMessage: true, showErrorMessage: true, errorStyle: 'stop' } as const;
  for (const [col, name] of [
    ['A', 'First name'],
    ['B', 'Last name'],
  ] as const) {
    v.add(`${col}${first}:${col}${lastRow}`, {
      type: 'textLength',
      operator: 'between',
      formulae: [1, 64],
      ...rowRules,
      promptTitle: name,
      prompt: `The person's ${name.toLowerCase()}, as it should appear in the certificate (1 to 64 characters).`,
      errorTitle: name,
      error: `${name} must be 1 to 64 characters.`,
    });
  }
  v.add(`C${first}:C${lastRow}`, {
    type: 'custom',
    formulae: [`AND(LEN(C${first})<=254,ISNUMBER(FIND("@",C${first})),ISERROR(FIND(" ",C${first})))`],
    ...rowRules,
    promptTitle: 'Registrant Email',
    prompt: "The person's own email address at one of your organisation's mail domains.",
    errorTitle: 'Registrant Email',
    error: 'Please enter one email address, such as name@example.org, without spaces.',
  });
  v.add(`D${first}:D${lastRow}`, {
    type: 'textLength',
    operator: 'greaterThanOrEqual',
    formulae: [10],
    ...rowRules,
    promptTitle: 'Shared password',
    prompt: 'At least 10 characters, different for each person. Give it to the person yourself, separately.',
    errorTitle: 'Shared password',
    error: 'The shared password must have at least 10 characters.',
  });
}

function buildInstructions(ws: ExcelJS.Worksheet, p: OrderFormParams): void {
  ws.getColumn(1).width = 110;
  const lines: [string, boolean][] = [
    ['How to fill in this S/MIME order form', true],
    ['', false],
    ['1. On the Order sheet, check the organisation (filled in by us) and choose the phase, the S/MIME type and the duration from the lists at the top.', false],
    ['   S/MIME type "mailbox": the certificate names only the email address. "sponsor": it also names the person and your organisation.', false],
    ['   Duration: 1, 2 or 3 years. Each certificate costs one credit whatever its duration; longer ones are renewed for you within the term.', false],
    ['2. Below the header row, fill in one row per person. Do not add or remove columns, and do not insert rows above the header.', false],
    ['   First name, Last name: the person\'s name as it should appear in the certificate (1 to 64 characters each).', false],
    ["   Registrant Email: the person's own email address at one of your organisation's mail domains; the certificate is made for this address.", false],
    ['   Shared password: at least 10 characters, different for each person and not easy to guess.', false],
    ['   Give the shared password to the person yourself, separately (in person or by phone, never in the same email). They need it, with their email address, to collect their certificate. We never send it.', false],
    [`3. At most ${p.maxRows.toLocaleString('en-GB')} rows per form. For more people, send several forms.`, false],
    ['4. Type plain values only. Formulas are not allowed: a cell holding a formula is refused, not calculated.', false],
    ['5. Save the workbook as "Excel Workbook (.xlsx)" (not .xlsm, .xls or CSV) and reply to our message with the form attached. Workbooks with macros or links to other files are refused.', false],
    ['6. We reply with an order summary. If some rows are wrong, you get this workbook back with the wrong cells in red; point at a red cell to read why. Correct them and send the form again.', false],
    ['7. When the summary is right, reply CONFIRM to place the order. Your management contacts then approve it, and each person gets an email to collect their certificate.', false],
  ];
  lines.forEach(([text, bold], i) => {
    const cell = ws.getCell(i + 1, 1);
    cell.value = text;
    cell.alignment = { wrapText: true, vertical: 'top' };
    if (bold) cell.font = { bold: true, size: 14 };
  });
}

function annotate(ws: ExcelJS.Worksheet, p: OrderFormParams): void {
  const F = ORDER_LAYOUT.fieldCells;
  for (const r of p.rows ?? []) {
    if (!Number.isInteger(r.row) || r.row < ORDER_LAYOUT.firstDataRow) throw new RangeError(`row ${r.row} is not a data row`);
    r.values.slice(0, ORDER_COLUMNS.length).forEach((value, i) => {
      // A plain string: exceljs writes it as a shared string (t="s"), never as a formula.
      if (value !== '') ws.getCell(r.row, i + 1).value = String(value);
    });
  }

  const notes = new Map<string, string[]>();
  for (const problem of p.problems ?? []) {
    let address: string;
    if (problem.column === 0) {
      address = problem.field ? F[problem.field] : F.organisation;
    } else if (Number.isInteger(problem.column) && problem.column >= 1 && problem.column <= ORDER_COLUMNS.length) {
      if (!Number.isInteger(problem.row) || problem.row < ORDER_LAYOUT.firstDataRow) throw new RangeError(`row ${problem.row} is not a data row`);
      address = ws.getCell(problem.row, problem.column).address;
    } else {
      throw new RangeError(`column ${problem.column} is not a form column`);
    }
    notes.set(address, [...(notes.get(address) ?? []), problem.message]);
  }
  for (const [address, messages] of notes) {
    const cell = ws.getCell(address);
    cell.fill = RED_FILL;
    cell.font = { ...(cell.font ?? {}), ...RED_FONT };
    cell.note = messages.join('\n');
  }
  if (notes.size > 0) {
    const n = notes.size;
    ws.getCell('A2').value =
      n === 1
        ? 'One cell needs correcting: it is shown in red; point at it to read why, correct it and send the form again.'
        : `${n} cells need correcting: they are shown in red; point at a red cell to read why, correct them and send the form again.`;
    ws.getCell('A2').font = { bold: true, color: { argb: 'FF9C0006' } };
  }
}
