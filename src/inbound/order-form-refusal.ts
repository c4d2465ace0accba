/**
 * Why an uploaded order form was refused, with a stable code and one plain sentence for
 * the requester saying what to do.
 */

export interface OrderFormLimits {
  readonly maxRows: number;
  readonly maxUncompressedBytes: number;
  readonly maxEntries: number;
  readonly maxCompressionRatio: number;
}

export const DEFAULT_ORDER_FORM_LIMITS: OrderFormLimits = Object.freeze({
  maxRows: 5000,
  maxUncompressedBytes: 50 * 1024 * 1024,
  maxEntries: 500,
  maxCompressionRatio: 100,
});

export type OrderFormRefusalCode =
  | 'ORDER_FORM.NOT_XLSX'
  | 'ORDER_FORM.CORRUPT'
  | 'ORDER_FORM.TOO_BIG'
  | 'ORDER_FORM.MACROS'
  | 'ORDER_FORM.EXTERNAL_LINKS'
  | 'ORDER_FORM.TOO_MANY_ROWS'
  | 'ORDER_FORM.NOT_OUR_FORM';

export function refusalMessage(code: OrderFormRefusalCode, limits: OrderFormLimits): string {
  switch (code) {
    case 'ORDER_FORM.NOT_XLSX':
      return 'The attachment is not an Excel workbook (.xlsx); please fill in the order form we sent you and attach it saved as "Excel Workbook (.xlsx)", not as CSV, .xls or with a password.';
    case 'ORDER_FORM.CORRUPT':
      return 'The attached workbook is damaged and could not be opened; please open the order form in Excel, save it again as .xlsx and send it once more.';
    case 'ORDER_FORM.TOO_BIG':
      return `The attached workbook is too large to process; please send only the order form, with at most ${limits.maxRows} rows and no pictures or other files inside it.`;
    case 'ORDER_FORM.MACROS':
      return 'The attached workbook contains macros, which we do not accept; please save the order form as "Excel Workbook (.xlsx)" without macros and send it again.';
    case 'ORDER_FORM.EXTERNAL_LINKS':
      return 'The attached workbook links to other workbooks, which we do not accept; please break the links (Data, Edit Links, Break Link) or type the values in, and send the form again.';
    case 'ORDER_FORM.TOO_MANY_ROWS':
      return `The order has more than ${limits.maxRows} rows; please split it into several order forms of at most ${limits.maxRows} rows each.`;
    case 'ORDER_FORM.NOT_OUR_FORM':
      return 'This workbook is not our current order form (or its Order sheet was changed); please ask for a fresh form by mailing us without an attachment, fill it in without adding or removing columns or rows above the header, and send it back.';
  }
}

export class OrderFormRefusal extends Error {
  constructor(
    readonly code: OrderFormRefusalCode,
    limits: OrderFormLimits,
    cause?: unknown,
  ) {
    super(refusalMessage(code, limits), cause === undefined ? undefined : { cause });
    this.name = 'OrderFormRefusal';
  }
}
