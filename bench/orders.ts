/**
 * Order-form benchmark (journey B): `npm run bench:orders` (add `--quick`, or
 * BENCH_QUICK=1, for a smoke run; `--only 1,3` for some parts). Results and method:
 * docs/benchmarks.md, "Order forms".
 *
 * Every figure is printed with its ratio against a baseline measured in the same run on
 * the same machine, interleaved with it:
 *
 *   1. validating a 10,000-row order form as an upload is handled (readOrderForm, marker,
 *      checkOrder, every row's shared password sealed), in a child process of its own:
 *      <= 5 s wall and <= 300 MB peak RSS of that child; the baseline is exceljs merely
 *      loading the same workbook in the same child (ratio reported, no target);
 *   2. refusing zip bombs (the real form with its Order sheet replaced by gigabytes of
 *      deflated white space: sizes declared truthfully, declared small, declared just
 *      under the limit), in a child: <= 1 s and <= 100 MB RSS growth per refusal; the
 *      baseline is readOrderForm on a normal 10-row form;
 *   3. issuing approved registrants' certificates with new RSA-2048 keys, the key sealed
 *      for escrow, both cores busy, against raw native generateKeyPair with as many in
 *      flight (>= 0.85).
 *
 * It ends with PASS/FAIL per target and exits 0 either way: it is a report. A crash (a bug
 * in the bench or in mailca) exits non-zero.
 */
import { spawn } from 'node:child_process';
import { generateKeyPair, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import ExcelJS from 'exceljs';
import { createKeyVault } from '../src/ca/key-vault.js';
import { envToConfig } from '../src/config/config.js';
import { deriveFormSecret, signFormMarker, verifyFormMarker } from '../src/domain/order-form-marker.js';
import { checkOrder, type OrderContext } from '../src/domain/order-rows.js';
import { DEFAULT_ORDER_FORM_LIMITS, readOrderForm, type OrderFormLimits } from '../src/inbound/order-form-reader.js';
import { createRootLogger } from '../src/log.js';
import { renderOrderForm } from '../src/templates/order-form.js';
import { wire, type Wired } from '../src/wiring.js';
import { sharedPasswordContext } from '../src/workflow/order-deps.js';
import { entriesOf, formWithBomb, whitespaceSheet } from './orders-zip.js';

const generateKeyPairAsync = promisify(generateKeyPair);
const QUICK = process.argv.includes('--quick') || process.env.BENCH_QUICK === '1';
const SELF = fileURLToPath(import.meta.url);
const onlyAt = process.argv.indexOf('--only');
const ONLY = onlyAt >= 0 ? new Set((process.argv[onlyAt + 1] ?? '').split(',').map(Number)) : new Set([1, 2, 3]);

/** How much work each part does; `--quick` only checks that everything runs. */
const PLAN = QUICK
  ? { formRows: 1_000, formRounds: 2, bombMib: 1_000, bombRounds: 2, bombPerRound: 3, keyRounds: 2, keysPerRound: 12 }
  : { formRows: 10_000, formRounds: 6, bombMib: 4_000, bombRounds: 8, bombPerRound: 10, keyRounds: 4, keysPerRound: 250 };
/** Keys in flight on each side of part 3: libuv's 4 threads make keys, the main thread signs and stores. */
const IN_FLIGHT = 6;
const MB = 1e6; // "300 MB", "100 MB": read as 10^6 bytes (the stricter reading)
const FORM_WALL_LIMIT_MS = 5_000;
const FORM_RSS_LIMIT = 300 * MB;
const BOMB_WALL_LIMIT_MS = 1_000;
const BOMB_RSS_LIMIT = 100 * MB;
const KEYS_RATIO_TARGET = 0.85;

/** The organisation the forms are for, as `mailca org add` would make it. */
const ORG = {
  id: 'oakfield-primary',
  name: 'Oakfield Primary',
  phase: 'primary' as const,
  domain: 'oakfield.sch.example',
  domains: [
    { domain: 'oakfield.sch.example', schoolOwned: false },
    { domain: 'pupils.oakfield.example', schoolOwned: true },
  ],
};
const INBOUND_ID = 'bench-inbound-1';

// ---------------------------------------------------------------- small helpers

const out = (line = ''): void => console.log(line);
const fmt = (n: number, digits = 1): string => n.toLocaleString('en-GB', { minimumFractionDigits: digits, maximumFractionDigits: digits });
const mib = (bytes: number): string => `${fmt(bytes / 2 ** 20)} MiB`;
const mb = (bytes: number): string => `${fmt(bytes / MB)} MB`;
const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? NaN : s.length % 2 ? s[s.length >> 1]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};
const sum = (xs: readonly number[]): number => xs.reduce((a, b) => a + b, 0);
const range = (xs: readonly number[], digits = 1): string => `${fmt(Math.min(...xs), digits)} … ${fmt(Math.max(...xs), digits)}`;

/** A field of /proc/self/status in bytes (VmRSS now, VmHWM the peak; Linux). */
function procStatus(field: 'VmRSS' | 'VmHWM'): number {
  const m = new RegExp(`^${field}:\\s+(\\d+) kB$`, 'm').exec(readFileSync('/proc/self/status', 'utf8'));
  if (!m) throw new Error(`${field} not found in /proc/self/status (this bench needs Linux)`);
  return Number(m[1]) * 1024;
}

/** Resets VmHWM to the current RSS (`echo 5 > /proc/self/clear_refs`, Linux 4.0+); false where not allowed. */
function resetPeak(): boolean {
  try {
    writeFileSync('/proc/self/clear_refs', '5');
    return true;
  } catch {
    return false;
  }
}

/** The children are started with --expose-gc: garbage of one run is collected before the next, untimed. */
function collect(): void {
  (globalThis as { gc?: () => void }).gc?.();
}

function readProcStat(): { busy: number; steal: number } | undefined {
  try {
    const f = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
    const [user = 0, nice = 0, system = 0, , , irq = 0, softirq = 0, steal = 0] = f;
    const hz = 100; // USER_HZ
    return { busy: (user + nice + system + irq + softirq) / hz, steal: steal / hz };
  } catch {
    return undefined;
  }
}

/**
 * What else the machine did meanwhile: CPU time of all processes (/proc/stat) minus this
 * process's and its bench child's, and time the hypervisor gave to other guests.
 */
function loadMeter(): { stop(childCpuSeconds?: number): string } {
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  const stat0 = readProcStat();
  return {
    stop(childCpuSeconds = 0) {
      const seconds = (performance.now() - t0) / 1000;
      const cpu = process.cpuUsage(cpu0);
      const stat1 = readProcStat();
      const ours = (cpu.user + cpu.system) / 1e6 + childCpuSeconds;
      const who = childCpuSeconds > 0 ? 'this process and its child' : 'this process';
      if (!stat0 || !stat1) return `${who} used ${fmt(ours / seconds, 2)} cores on average`;
      const others = Math.max(0, stat1.busy - stat0.busy - ours) / seconds;
      const steal = (stat1.steal - stat0.steal) / seconds;
      const busy = others > 0.15 || steal > 0.15;
      return `machine over ${fmt(seconds)} s: ${who} ${fmt(ours / seconds, 2)} cores, other processes ${fmt(others, 2)} cores, hypervisor steal ${fmt(steal, 2)} cores${busy ? ' — the machine was not idle, the figures may be disturbed' : ''}`;
    },
  };
}

interface Verdict {
  readonly id: string;
  readonly what: string;
  readonly figure: string;
  readonly baseline: string;
  readonly ratio: string;
  readonly target: string;
  readonly pass: boolean;
  readonly note?: string;
}
const verdicts: Verdict[] = [];

function report(v: Verdict): void {
  verdicts.push(v);
  out(`  ${v.pass ? 'PASS' : 'FAIL'}  ${v.id} ${v.what}`);
  out(`        ours ${v.figure}; baseline ${v.baseline}; ratio ${v.ratio} (target ${v.target})`);
  if (v.note) out(`        note: ${v.note}`);
}

/** Runs this file again as a child (`--child MODE JSON`) and returns the JSON it prints last. */
async function runChild<T>(mode: string, args: unknown): Promise<T> {
  const child = spawn(process.execPath, ['--expose-gc', ...process.execArgv, SELF, '--child', mode, JSON.stringify(args)], { stdio: ['ignore', 'pipe', 'inherit'] });
  let stdout = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  const last = stdout.trim().split('\n').at(-1);
  if (code !== 0 || !last) throw new Error(`the ${mode} child exited with ${code}`);
  return JSON.parse(last) as T;
}

const childCpuSeconds = (): number => {
  const c = process.cpuUsage();
  return (c.user + c.system) / 1e6;
};

// ---------------------------------------------------------------- the forms

const FIRST = ['Amira', 'Ben', 'Chloé', 'Dafydd', 'Elif', 'Fergus', 'Grace', 'Hamza', 'Isla', 'Jonah', 'Kasia', 'Liam', 'Maya', 'Niamh', 'Oscar', 'Priya', 'Quinn', 'Rhys', 'Sofia', 'Tomás'];
const LAST = ['Adeyemi', 'Brennan', 'Chowdhury', 'Davies', 'Evans', 'Fischer', 'García', 'Hughes', 'Iqbal', 'Jones', 'Kowalski', 'Lewis', 'Morgan', 'Nowak', "O'Neill", 'Patel', 'Quraishi', 'Roberts', 'Singh', 'Thomas'];

/** Row `i` of a filled form: distinct valid addresses at the organisation's domain, good shared passwords. */
function registrant(i: number): [string, string, string, string] {
  const first = FIRST[i % FIRST.length]!;
  const last = LAST[Math.floor(i / FIRST.length) % LAST.length]!;
  const local = `${first}.${last}.${i}`
    .normalize('NFD')
    .replace(/[^A-Za-z0-9.]/g, '')
    .toLowerCase();
  return [first, last, `${local}@${ORG.domain}`, randomBytes(12).toString('base64url')];
}

/** The form mailca sends, filled in by exceljs as a requester's Excel would (setup, not timed). */
async function filledForm(formSecret: Uint8Array, formRows: number, rows: number): Promise<Buffer> {
  const blank = await renderOrderForm({ organisation: ORG.name, phase: ORG.phase, marker: signFormMarker(formSecret, ORG.id), maxRows: formRows });
  const wb = new ExcelJS.Workbook();
  await wb.xlsx.load(blank as unknown as ArrayBuffer);
  const ws = wb.getWorksheet('Order');
  if (!ws) throw new Error('the rendered form has no Order sheet');
  ws.getCell('B5').value = 'mailbox';
  ws.getCell('B6').value = '2 years';
  for (let i = 0; i < rows; i++) {
    const row = ws.getRow(9 + i);
    registrant(i).forEach((v, c) => (row.getCell(c + 1).value = v));
  }
  return Buffer.from((await wb.xlsx.writeBuffer()) as ArrayBuffer);
}

// ---------------------------------------------------------------- 1. validating a 10,000-row form

interface FormRun {
  readonly ms: number;
  readonly readMs: number;
  readonly checkMs: number;
  readonly sealMs: number;
}
interface FormChildResult {
  readonly rows: number;
  readonly fileBytes: number;
  readonly rssAtStart: number;
  readonly rssBeforeCold: number;
  readonly cold: FormRun;
  /** VmHWM of the child after the cold run: node, modules, the file and one validation. */
  readonly peakAfterCold: number;
  readonly ours: FormRun[];
  readonly base: number[];
  /** Per warm run: VmHWM (reset before the run) minus VmRSS before it; empty when clear_refs is not allowed. */
  readonly oursGrowth: number[];
  readonly baseGrowth: number[];
  readonly peakAfterAll: number;
  readonly cpuSeconds: number;
}

async function formChild(a: { file: string; rows: number; rounds: number; masterKeyHex: string }): Promise<void> {
  const rssAtStart = procStatus('VmRSS');
  const file = readFileSync(a.file);
  const formSecret = deriveFormSecret(Buffer.from(a.masterKeyHex, 'hex'));
  const vault = createKeyVault(randomBytes(32));
  const limits: OrderFormLimits = { ...DEFAULT_ORDER_FORM_LIMITS, maxRows: a.rows };

  // The path an upload to smime@ takes (src/workflow/submit-order.ts) without the store's
  // queries: read, marker, check, then every good row's shared password sealed.
  const ours = async (): Promise<FormRun> => {
    const t0 = performance.now();
    const read = await readOrderForm(file, limits);
    if (!read.ok) throw new Error(`readOrderForm refused the bench form: ${read.code}`);
    const t1 = performance.now();
    if (verifyFormMarker(formSecret, read.marker) !== ORG.id) throw new Error('the marker did not verify');
    // the addresses the store is asked about (live certificates, open orders); the queries are not timed here
    const emails = read.rows.map((r) => (r.values[2] ?? '').trim().toLowerCase()).filter((e) => e.includes('@'));
    if (emails.length !== a.rows) throw new Error(`${emails.length} addresses read`);
    const ctx: OrderContext = { organisationName: ORG.name, domains: ORG.domains, liveMailboxes: new Set<string>(), creditsAvailable: a.rows, maxRows: a.rows };
    const checked = checkOrder({ order: read.order, rows: read.rows }, ctx);
    if (!checked.ok || checked.rows.length !== a.rows) throw new Error(`checkOrder: ${checked.rows.length} good rows, problems: ${JSON.stringify(checked.problems.slice(0, 3))}`);
    const t2 = performance.now();
    const sealed = checked.rows.map((r) => vault.seal(Buffer.from(r.sharedPassword, 'utf8'), sharedPasswordContext(INBOUND_ID, r.row)));
    const t3 = performance.now();
    if (sealed.length !== a.rows) throw new Error('not every row was sealed');
    return { ms: t3 - t0, readMs: t1 - t0, checkMs: t2 - t1, sealMs: t3 - t2 };
  };
  const base = async (): Promise<number> => {
    const t0 = performance.now();
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load(file as unknown as ArrayBuffer); // exceljs types its own Buffer; a Node Buffer is what it reads
    const ms = performance.now() - t0;
    const ws = wb.getWorksheet('Order');
    if (!ws || ws.actualRowCount < a.rows) throw new Error(`exceljs read ${ws?.actualRowCount ?? 0} rows`);
    return ms;
  };

  // First, cold, in a process that has done nothing else: its peak is the target figure.
  const rssBeforeCold = procStatus('VmRSS');
  const cold = await ours();
  const peakAfterCold = procStatus('VmHWM');
  process.stderr.write(`    cold run: ${fmt(cold.ms)} ms, child peak so far ${mib(peakAfterCold)}\n`);

  const oursRuns: FormRun[] = [];
  const baseRuns: number[] = [];
  const oursGrowth: number[] = [];
  const baseGrowth: number[] = [];
  const measured = async <T>(fn: () => Promise<T>, growth: number[]): Promise<T> => {
    collect();
    const reset = resetPeak();
    const rss0 = procStatus('VmRSS');
    const r = await fn();
    if (reset) growth.push(procStatus('VmHWM') - rss0);
    return r;
  };
  for (let r = 0; r < a.rounds; r++) {
    // ABBA: exceljs first in even rounds, ours first in odd ones
    if (r % 2 === 0) {
      baseRuns.push(await measured(base, baseGrowth));
      oursRuns.push(await measured(ours, oursGrowth));
    } else {
      oursRuns.push(await measured(ours, oursGrowth));
      baseRuns.push(await measured(base, baseGrowth));
    }
    process.stderr.write(`    round ${r + 1}/${a.rounds}: ours ${fmt(oursRuns.at(-1)!.ms)} ms, exceljs load ${fmt(baseRuns.at(-1)!)} ms\n`);
  }
  const result: FormChildResult = {
    rows: a.rows,
    fileBytes: file.length,
    rssAtStart,
    rssBeforeCold,
    cold,
    peakAfterCold,
    ours: oursRuns,
    base: baseRuns,
    oursGrowth,
    baseGrowth,
    peakAfterAll: procStatus('VmHWM'),
    cpuSeconds: childCpuSeconds(),
  };
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

async function benchForm(dir: string, masterKey: Buffer): Promise<void> {
  const t0 = performance.now();
  const form = await filledForm(deriveFormSecret(masterKey), PLAN.formRows, PLAN.formRows);
  const file = join(dir, 'order-filled.xlsx');
  writeFileSync(file, form);
  out(`  setup: renderOrderForm(maxRows ${PLAN.formRows}) filled with ${PLAN.formRows} rows by exceljs: ${fmt(form.length / 1024)} KiB (${fmt((performance.now() - t0) / 1000)} s, not timed)`);
  const meter = loadMeter();
  const r = await runChild<FormChildResult>('form', { file, rows: PLAN.formRows, rounds: PLAN.formRounds, masterKeyHex: masterKey.toString('hex') });
  const load = meter.stop(r.cpuSeconds);

  const oursMs = r.ours.map((x) => x.ms);
  const ratio = sum(oursMs) / sum(r.base);
  const pairRatios = r.ours.map((x, i) => x.ms / r.base[i]!);
  const worstMs = Math.max(r.cold.ms, ...oursMs);
  const part = (k: 'readMs' | 'checkMs' | 'sealMs'): string => fmt(median(r.ours.map((x) => x[k])));
  out(`  child: RSS at start (node and modules) ${mib(r.rssAtStart)}; with the ${fmt(r.fileBytes / 1024)} KiB file read ${mib(r.rssBeforeCold)}`);
  out(`  cold (first) run: ${fmt(r.cold.ms)} ms = read ${fmt(r.cold.readMs)} + marker and check ${fmt(r.cold.checkMs)} + seal ${fmt(r.cold.sealMs)}; child peak (VmHWM) after it ${mib(r.peakAfterCold)} = ${mb(r.peakAfterCold)}`);
  out(`  ${r.ours.length} warm runs, ABBA with exceljs: ours median ${fmt(median(oursMs))} ms (${range(oursMs)}), of which read ${part('readMs')}, marker and check ${part('checkMs')}, seal ${part('sealMs')}`);
  out(`  exceljs Workbook.xlsx.load of the same file: median ${fmt(median(r.base))} ms (${range(r.base)})`);
  out(`  ratio ours/exceljs-load (total over total) ${fmt(ratio, 3)}; per round ${range(pairRatios, 3)}`);
  if (r.oursGrowth.length > 0) {
    out(`  peak growth per warm run (VmHWM reset before it, minus VmRSS before it): ours ${range(r.oursGrowth.map((x) => x / 2 ** 20))} MiB, exceljs load ${range(r.baseGrowth.map((x) => x / 2 ** 20))} MiB`);
  } else {
    out('  (per-run peaks not available: /proc/self/clear_refs could not be written)');
  }
  out(`  (info) the child's peak over the whole run, exceljs loads included: ${mib(r.peakAfterAll)}`);
  out(`  ${load}`);
  report({
    id: '1-time',
    what: `validate a ${fmt(r.rows, 0)}-row order form (read + marker + check + seal every row), in a child`,
    figure: `${fmt(worstMs)} ms worst of ${r.ours.length + 1} runs (cold ${fmt(r.cold.ms)}, warm median ${fmt(median(oursMs))})`,
    baseline: `exceljs load ${fmt(median(r.base))} ms median`,
    ratio: `${fmt(ratio, 3)} (ours/exceljs load, no target)`,
    target: `<= ${fmt(FORM_WALL_LIMIT_MS / 1000, 0)} s`,
    pass: worstMs <= FORM_WALL_LIMIT_MS,
    ...(QUICK ? { note: `quick run: ${r.rows} rows, not 10,000` } : {}),
  });
  report({
    id: '1-rss',
    what: 'the same: peak RSS of the child (VmHWM after the cold run, before exceljs ever ran in it)',
    figure: `${mb(r.peakAfterCold)} (${mib(r.peakAfterCold)})`,
    baseline: 'fixed limit 300 MB',
    ratio: `${fmt((100 * r.peakAfterCold) / FORM_RSS_LIMIT)} % of the limit`,
    target: '<= 300 MB',
    pass: r.peakAfterCold <= FORM_RSS_LIMIT,
    note: `node and modules ${mib(r.rssAtStart)} of it${r.oursGrowth.length > 0 ? `; warm runs grew the peak by at most ${mib(Math.max(...r.oursGrowth))} over the RSS before them` : ''}`,
  });
}

// ---------------------------------------------------------------- 2. zip bombs

interface Call {
  readonly ms: number;
  /** VmHWM after the call minus VmRSS before it (VmHWM reset before the call where allowed). */
  readonly growth: number;
}
interface BombChildResult {
  readonly peakResettable: boolean;
  readonly baselineCold: Call;
  readonly variants: { readonly id: string; readonly cold: Call; readonly refusals: Call[]; readonly reads: Call[] }[];
  readonly cpuSeconds: number;
}

async function bombChild(a: { baseline: string; variants: { id: string; file: string }[]; rounds: number; perRound: number }): Promise<void> {
  const small = readFileSync(a.baseline);
  const bombs = a.variants.map((v) => ({ id: v.id, file: readFileSync(v.file) }));
  let peakResettable = true;
  const call = async (fn: () => Promise<void>): Promise<Call> => {
    collect();
    peakResettable = resetPeak() && peakResettable;
    const rss0 = procStatus('VmRSS');
    const t0 = performance.now();
    await fn();
    const ms = performance.now() - t0;
    return { ms, growth: procStatus('VmHWM') - rss0 };
  };
  const refuse = (file: Buffer) => async (): Promise<void> => {
    const r = await readOrderForm(file);
    if (r.ok || r.code !== 'ORDER_FORM.TOO_BIG') throw new Error(`the bomb was not refused as TOO_BIG: ${r.ok ? `read ${r.rows.length} rows` : r.code}`);
  };
  const read = async (): Promise<void> => {
    const r = await readOrderForm(small);
    if (!r.ok || r.rows.length !== 10) throw new Error(`the 10-row form read as ${r.ok ? `${r.rows.length} rows` : r.code}`);
  };

  // Cold first: each bomb before anything else of its kind ran (the first also before any read).
  const colds = [];
  for (const b of bombs) colds.push(await call(refuse(b.file)));
  const baselineCold = await call(read);
  const variants: BombChildResult['variants'] = [];
  for (const [i, b] of bombs.entries()) {
    const refusals: Call[] = [];
    const reads: Call[] = [];
    for (let r = 0; r < a.rounds; r++) {
      const sides = [async () => reads.push(await call(read)), async () => refusals.push(await call(refuse(b.file)))];
      if (r % 2 === 1) sides.reverse(); // ABBA
      for (const side of sides) for (let k = 0; k < a.perRound; k++) await side();
    }
    variants.push({ id: b.id, cold: colds[i]!, refusals, reads });
  }
  const result: BombChildResult = { peakResettable, baselineCold, variants, cpuSeconds: childCpuSeconds() };
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

async function benchBombs(dir: string, masterKey: Buffer): Promise<void> {
  const t0 = performance.now();
  const small = await filledForm(deriveFormSecret(masterKey), DEFAULT_ORDER_FORM_LIMITS.maxRows, 10);
  const smallFile = join(dir, 'order-10-rows.xlsx');
  writeFileSync(smallFile, small);
  const parts = await entriesOf(small);
  const SHEET = 'xl/worksheets/sheet1.xml'; // exceljs writes the first sheet, Order, here
  const bomb = whitespaceSheet(PLAN.bombMib);
  const others = sum([...parts].filter(([n]) => n !== SHEET).map(([, d]) => d.length));
  const L = DEFAULT_ORDER_FORM_LIMITS;
  const variants = [
    { id: '2a-declared', declared: bomb.size, about: `sheet declares its true ${mb(bomb.size)}` },
    { id: '2b-small', declared: 1_000_000, about: `sheet declares 1.0 MB (under the ratio rule's 1 MiB floor) but inflates to ${mb(bomb.size)}` },
    { id: '2c-limit', declared: L.maxUncompressedBytes - others - 1, about: `sheet declares ${mb(L.maxUncompressedBytes - others - 1)} (the package 1 byte under the ${mib(L.maxUncompressedBytes)} limit) but inflates to ${mb(bomb.size)}` },
  ].map((v) => {
    const buf = formWithBomb(parts, SHEET, bomb, v.declared);
    const file = join(dir, `bomb-${v.id}.xlsx`);
    writeFileSync(file, buf);
    return { ...v, file, bytes: buf.length };
  });
  out(`  setup (not timed, ${fmt((performance.now() - t0) / 1000)} s): the rendered form (maxRows ${L.maxRows}) with 10 rows filled, ${fmt(small.length / 1024)} KiB; bombs = that form with its Order sheet replaced by XML opening + ${fmt(PLAN.bombMib, 0)} MiB of white space:`);
  for (const v of variants) out(`    ${v.id}: ${fmt(v.bytes / 1024)} KiB file; ${v.about}`);
  out(`  limits as shipped: ${mib(L.maxUncompressedBytes)} uncompressed in all, ratio <= ${L.maxCompressionRatio} for entries over 1 MiB, ${L.maxEntries} entries`);

  const meter = loadMeter();
  const r = await runChild<BombChildResult>('bomb', { baseline: smallFile, variants: variants.map((v) => ({ id: v.id, file: v.file })), rounds: PLAN.bombRounds, perRound: PLAN.bombPerRound });
  const load = meter.stop(r.cpuSeconds);
  if (!r.peakResettable) out('  (VmHWM could not be reset per call: growth after the first call is measured against the lifetime peak, which overstates it)');
  out(`  readOrderForm on the 10-row form, cold (after the cold refusals): ${fmt(r.baselineCold.ms, 2)} ms, peak growth ${mib(r.baselineCold.growth)}`);
  for (const v of r.variants) {
    const all = [v.cold, ...v.refusals];
    const worstMs = Math.max(...all.map((c) => c.ms));
    const worstGrowth = Math.max(...all.map((c) => c.growth));
    const refMs = v.refusals.map((c) => c.ms);
    const readMs = v.reads.map((c) => c.ms);
    const ratio = sum(refMs) / sum(readMs);
    out(`  ${v.id}: cold refusal ${fmt(v.cold.ms, 2)} ms, peak growth ${mib(v.cold.growth)}; ${refMs.length} warm refusals median ${fmt(median(refMs), 2)} ms (${range(refMs, 2)}), growth up to ${mib(Math.max(...v.refusals.map((c) => c.growth)))}`);
    out(`    interleaved 10-row reads: median ${fmt(median(readMs), 2)} ms (${range(readMs, 2)}), growth up to ${mib(Math.max(...v.reads.map((c) => c.growth)))}; ratio refusal/read (total over total) ${fmt(ratio, 3)}`);
    report({
      id: v.id,
      what: `refuse ${variants.find((x) => x.id === v.id)!.about} (ORDER_FORM.TOO_BIG)`,
      figure: `${fmt(worstMs, 2)} ms worst, ${mb(worstGrowth)} RSS growth worst (of ${all.length} calls)`,
      baseline: `10-row form read ${fmt(median(readMs), 2)} ms median`,
      ratio: `${fmt(ratio, 3)} (refusal/read)`,
      target: '<= 1 s, <= 100 MB',
      pass: worstMs <= BOMB_WALL_LIMIT_MS && worstGrowth <= BOMB_RSS_LIMIT,
    });
  }
  out(`  ${load}`);
}

// ---------------------------------------------------------------- 3. keys and certificates for approved registrants

interface BenchCa {
  readonly wired: Wired;
  readonly initMs: number;
  cleanup(): Promise<void>;
}

/** A wired mailca with a fresh CA (two RSA-4096 keys, as `mailca ca init`), PGlite on disk: as bench/ca.ts. */
async function openCa(): Promise<BenchCa> {
  const dataDir = mkdtempSync(join(os.tmpdir(), 'mailca-bench-orders-'));
  const config = envToConfig({
    values: {
      MAILCA_DATA_DIR: dataDir,
      MAILCA_MASTER_KEY: randomBytes(32).toString('hex'),
      MAILCA_PKI_URL: 'http://pki.bench.example',
      MAILCA_CA_ORGANIZATION: 'mailca Bench',
      LOG_LEVEL: 'silent',
    },
    sources: {},
    problems: [],
  });
  const wired = await wire(config, createRootLogger('silent'), { inMemory: false });
  const t0 = performance.now();
  await wired.ca.init('bench');
  const initMs = performance.now() - t0;
  return {
    wired,
    initMs,
    async cleanup() {
      await wired.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

interface Side {
  readonly ops: number;
  readonly ms: number;
  /** CPU of this process, all threads (process.cpuUsage), in seconds. */
  readonly cpu: number;
}

/** Runs `n` tasks with `concurrency` in flight. */
async function pool(n: number, concurrency: number, task: (i: number) => Promise<unknown>): Promise<Side> {
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < n) await task(next++);
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, n) }, worker));
  const c = process.cpuUsage(c0);
  return { ops: n, ms: performance.now() - t0, cpu: (c.user + c.system) / 1e6 };
}

async function benchKeys(): Promise<void> {
  const t0 = performance.now();
  const ca = await openCa();
  out(`  setup: a CA in a fresh data directory, PGlite on disk; init (two RSA-4096 keys) took ${fmt(ca.initMs / 1000)} s (${fmt((performance.now() - t0) / 1000)} s in all)`);
  try {
    const { wired } = ca;
    let n = 0;
    let escrowBytes = 0;
    // What the collection job does per approved row: key + certificate, then the key into escrow.
    const ours = async (): Promise<void> => {
      const i = n++;
      const [first, last, email] = registrant(i);
      const b = await wired.ca.issue({ profile: 'smime', email, name: `${first} ${last}`, validityDays: 730, key: 'rsa-2048', actor: 'bench' });
      if (!b.pkcs8) throw new Error('issue returned no key');
      escrowBytes += wired.vault.seal(b.pkcs8, `order-row-key:bench:${i}`).length;
      b.pkcs8.fill(0);
    };
    // the call mailca makes (src/ca/keys.ts), DER export included
    const native = async (): Promise<void> => {
      await generateKeyPairAsync('rsa', { modulusLength: 2048, publicExponent: 0x10001, publicKeyEncoding: { type: 'spki', format: 'der' }, privateKeyEncoding: { type: 'pkcs8', format: 'der' } });
    };
    await pool(IN_FLIGHT, IN_FLIGHT, ours);
    await pool(IN_FLIGHT, IN_FLIGHT, native);
    const a: Side[] = [];
    const b: Side[] = [];
    const meter = loadMeter();
    for (let r = 0; r < PLAN.keyRounds; r++) {
      if (r % 2 === 0) {
        b.push(await pool(PLAN.keysPerRound, IN_FLIGHT, native));
        a.push(await pool(PLAN.keysPerRound, IN_FLIGHT, ours));
      } else {
        a.push(await pool(PLAN.keysPerRound, IN_FLIGHT, ours));
        b.push(await pool(PLAN.keysPerRound, IN_FLIGHT, native));
      }
      out(`    round ${r + 1}/${PLAN.keyRounds}: ours ${fmt((a.at(-1)!.ops * 1000) / a.at(-1)!.ms, 2)} certs/s, native ${fmt((b.at(-1)!.ops * 1000) / b.at(-1)!.ms, 2)} keys/s`);
    }
    const load = meter.stop();
    const total = (s: Side[]): Side => ({ ops: sum(s.map((x) => x.ops)), ms: sum(s.map((x) => x.ms)), cpu: sum(s.map((x) => x.cpu)) });
    const A = total(a);
    const B = total(b);
    const rate = (s: Side): number => (s.ops * 1000) / s.ms;
    const ratio = rate(A) / rate(B);
    const pairRatios = a.map((x, i) => rate(x) / rate(b[i]!));
    out(`  ${A.ops} certificates with new RSA-2048 keys (smime, 730 days), key sealed for escrow, ${IN_FLIGHT} in flight: ${fmt(rate(A), 2)} certs/s (${fmt(A.ms / 1000)} s); CPU ${fmt(A.cpu / (A.ms / 1000), 2)} cores, ${fmt((A.cpu * 1000) / A.ops)} ms per certificate`);
    out(`  ${B.ops} native generateKeyPair RSA-2048, ${IN_FLIGHT} in flight: ${fmt(rate(B), 2)} keys/s (${fmt(B.ms / 1000)} s); CPU ${fmt(B.cpu / (B.ms / 1000), 2)} cores, ${fmt((B.cpu * 1000) / B.ops)} ms per key`);
    out(`  ${PLAN.keyRounds} interleaved rounds of ${PLAN.keysPerRound} each side (ABBA); per-round ratios ${range(pairRatios, 3)}; escrow ${fmt(escrowBytes / A.ops, 0)} bytes per sealed key`);
    out(`  ${load}`);
    report({
      id: '3',
      what: `issue ${A.ops} approved registrants' keys and certificates + escrow (${IN_FLIGHT} in flight) vs native generateKeyPair (${IN_FLIGHT} in flight)`,
      figure: `${fmt(rate(A), 2)} certs/s`,
      baseline: `${fmt(rate(B), 2)} keys/s`,
      ratio: fmt(ratio, 3),
      target: `>= ${KEYS_RATIO_TARGET}`,
      pass: ratio >= KEYS_RATIO_TARGET,
      note: 'RSA key generation time varies a lot from key to key (random prime search); expect a few per cent of noise',
    });
  } finally {
    await ca.cleanup();
  }
}

// ---------------------------------------------------------------- main

function machine(): void {
  const cpus = os.cpus();
  const require = createRequire(import.meta.url);
  const exceljsVersion = (JSON.parse(readFileSync(require.resolve('exceljs/package.json'), 'utf8')) as { version: string }).version;
  out(`mailca order-form benchmark${QUICK ? ' (QUICK: smoke run, small counts; figures are not the record)' : ''}`);
  out(`  machine: ${cpus[0]?.model ?? 'unknown CPU'}, ${cpus.length} logical CPUs, ${fmt(os.totalmem() / 2 ** 30)} GiB RAM, ${os.platform()} ${os.release()} ${os.arch()}`);
  out(`  node ${process.version} (OpenSSL ${process.versions.openssl}), exceljs ${exceljsVersion}, libuv thread pool ${process.env.UV_THREADPOOL_SIZE ?? '4 (default)'}`);
  out(`  started ${new Date().toISOString()}; load average ${os.loadavg().map((x) => fmt(x, 2)).join(' ')}`);
}

async function main(): Promise<void> {
  machine();
  const dir = mkdtempSync(join(os.tmpdir(), 'mailca-bench-orders-files-'));
  const masterKey = randomBytes(32);
  try {
    if (ONLY.has(1)) {
      out();
      out(`[1] validating a ${fmt(PLAN.formRows, 0)}-row order form (child process)`);
      await benchForm(dir, masterKey);
    }
    if (ONLY.has(2)) {
      out();
      out('[2] refusing zip bombs (child process)');
      await benchBombs(dir, masterKey);
    }
    if (ONLY.has(3)) {
      out();
      out(`[3] issuing approved registrants' keys and certificates, both cores busy`);
      await benchKeys();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }

  out();
  out('summary');
  const rows = [['target', 'ours', 'baseline', 'ratio', 'goal', 'result'], ...verdicts.map((v) => [v.id, v.figure, v.baseline, v.ratio, v.target, v.pass ? 'PASS' : 'FAIL'])];
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  for (const r of rows) out(`  ${r.map((c, i) => c.padEnd(widths[i]!)).join('  ')}`);
  const missed = verdicts.filter((v) => !v.pass);
  out();
  out(missed.length === 0 ? `all ${verdicts.length} targets met` : `${missed.length} of ${verdicts.length} targets MISSED: ${missed.map((v) => v.id).join(', ')}`);
}

const childAt = process.argv.indexOf('--child');
if (childAt >= 0) {
  const mode = process.argv[childAt + 1];
  const args: unknown = JSON.parse(process.argv[childAt + 2] ?? '{}');
  if (mode === 'form') await formChild(args as Parameters<typeof formChild>[0]);
  else if (mode === 'bomb') await bombChild(args as Parameters<typeof bombChild>[0]);
  else throw new Error(`unknown child mode ${mode}`);
} else {
  await main();
}
