/**
 * CA benchmark: `npm run bench:ca` (add `--quick`, or BENCH_QUICK=1, for a smoke run;
 * `--only 1,3` for some parts). Results and method: docs/benchmarks.md.
 *
 * Every figure is printed with its ratio against a baseline measured in the same run on
 * the same machine, interleaved with it (never a number written down earlier):
 *
 *   1. issuing for an existing key (build + sign + lint + store) against Node's native
 *      crypto.sign alone with an RSA-4096 key over a TBS of the same size (>= 0.5), and
 *      against node-forge's own cert.sign with its RSA-4096 key (ours >= 20x faster);
 *   2. building a PKCS#12, modern and compat, against forge.pkcs12.toPkcs12Asn1 +
 *      forge.asn1.toDer with the same parameters (>= 8x faster);
 *   3. issuing with CA-generated RSA-2048 keys, 4 in flight, against raw async
 *      crypto.generateKeyPair, 4 in flight (>= 0.9);
 *   4. issuing 10,000 certificates in one (child) process: peak RSS < 300 MB.
 *
 * It ends with PASS/FAIL per target and exits 0 either way: it is a report. A crash
 * (a bug in the bench or in mailca) exits non-zero.
 */
import { spawn } from 'node:child_process';
import { generateKeyPair, generateKeyPairSync, hash, randomBytes, sign as nativeSign, verify as nativeVerify, type KeyObject } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import forge from 'node-forge';
import pg from 'pg';
import { buildPkcs12, DEFAULT_PKCS12_OPTIONS, type Pkcs12Options } from '../src/ca/pkcs12.js';
import { sha1Rehash } from '../src/ca/pkcs12-kdf.js';
import { readCertificate } from '../src/ca/x509-reader.js';
import { envToConfig } from '../src/config/config.js';
import { OID } from '../src/domain/oids.js';
import { createRootLogger } from '../src/log.js';
import { wire, type Wired } from '../src/wiring.js';
import type { Pkcs12Format } from '../src/workflow/ports.js';

const generateKeyPairAsync = promisify(generateKeyPair);
const QUICK = process.argv.includes('--quick') || process.env.BENCH_QUICK === '1';
const SELF = fileURLToPath(import.meta.url);
/** `--only 1,3` runs those parts (1-4) alone, e.g. to look into one figure. */
const onlyAt = process.argv.indexOf('--only');
const ONLY = onlyAt >= 0 ? new Set((process.argv[onlyAt + 1] ?? '').split(',').map(Number)) : new Set([1, 2, 3, 4]);

/** How much work each part does; `--quick` only checks that everything runs. */
const PLAN = QUICK
  ? { issueRounds: 2, roundMs: 400, forgeSigns: 2, p12Ms: 300, p12ForgeMin: 1, keygenRounds: 2, keygenPerRound: 4, rssCerts: 500 }
  : { issueRounds: 10, roundMs: 1500, forgeSigns: 8, p12Ms: 1500, p12ForgeMin: 4, keygenRounds: 6, keygenPerRound: 12, rssCerts: 10_000 };
const IN_FLIGHT = 4;
const PASSWORD = 'correct horse battery staple';
const FRIENDLY_NAME = 'Bench Subscriber';
const RSS_LIMIT_BYTES = 300e6; // "300 MB", read as 10^6 bytes (the stricter reading)

// ---------------------------------------------------------------- small helpers

const out = (line = ''): void => console.log(line);
const fmt = (n: number, digits = 1): string => n.toLocaleString('en-GB', { minimumFractionDigits: digits, maximumFractionDigits: digits });
const mib = (bytes: number): string => `${fmt(bytes / 2 ** 20)} MiB`;

interface Rate {
  readonly ops: number;
  readonly ms: number;
}
const perSecond = (r: Rate): number => (r.ops * 1000) / r.ms;
const add = (a: Rate, b: Rate): Rate => ({ ops: a.ops + b.ops, ms: a.ms + b.ms });
const ZERO: Rate = { ops: 0, ms: 0 };

/** Runs `fn` (sync) until `ms` have passed; at least `min` times. */
function timeSync(ms: number, fn: () => unknown, min = 1): Rate {
  const t0 = performance.now();
  let ops = 0;
  while (ops < min || performance.now() - t0 < ms) {
    fn();
    ops++;
  }
  return { ops, ms: performance.now() - t0 };
}

async function timeAsync(ms: number, fn: () => Promise<unknown>, min = 1): Promise<Rate> {
  const t0 = performance.now();
  let ops = 0;
  while (ops < min || performance.now() - t0 < ms) {
    await fn();
    ops++;
  }
  return { ops, ms: performance.now() - t0 };
}

/** Runs `n` tasks with `concurrency` in flight; returns the wall time. */
async function pool(n: number, concurrency: number, task: (i: number) => Promise<unknown>): Promise<Rate> {
  const t0 = performance.now();
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < n) await task(next++);
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, n) }, worker));
  return { ops: n, ms: performance.now() - t0 };
}

/**
 * What else the machine did meanwhile: CPU time of all processes (/proc/stat, Linux) minus
 * this process's own (all its threads), and time the hypervisor gave to other guests.
 * Ratios are taken within one run, but other work landing on one side of a pair still
 * moves them, so each part says how busy the machine was.
 */
interface LoadMeter {
  stop(): string;
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

function loadMeter(): LoadMeter {
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  const stat0 = readProcStat();
  return {
    stop() {
      const seconds = (performance.now() - t0) / 1000;
      const cpu = process.cpuUsage(cpu0);
      const stat1 = readProcStat();
      const ours = (cpu.user + cpu.system) / 1e6;
      if (!stat0 || !stat1) return `this process used ${fmt(ours / seconds, 2)} cores on average`;
      const others = Math.max(0, stat1.busy - stat0.busy - ours) / seconds;
      const steal = (stat1.steal - stat0.steal) / seconds;
      const busy = others > 0.15 || steal > 0.15;
      return `machine: this process ${fmt(ours / seconds, 2)} cores, other processes ${fmt(others, 2)} cores, hypervisor steal ${fmt(steal, 2)} cores${busy ? ' — the machine was not idle, the ratios may be disturbed' : ''}`;
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

// ---------------------------------------------------------------- a CA to measure

interface BenchCa {
  readonly backend: string;
  readonly wired: Wired;
  readonly dataDir: string;
  readonly masterKey: string;
  /** Time `mailca ca init` took; 0 when the CA existed. */
  readonly initMs: number;
  /** Closes the database, keeping the data. */
  close(): Promise<void>;
  /** Closes the database (if open) and removes the data directory (and schema). */
  cleanup(): Promise<void>;
}

interface OpenOptions {
  readonly databaseUrl?: string;
  /** Open this existing CA instead of making a new one. */
  readonly existing?: { readonly dataDir: string; readonly masterKey: string };
}

/** A wired mailca with a CA: made fresh (two RSA-4096 keys, as `mailca ca init` does) or opened. */
async function openCa({ databaseUrl, existing }: OpenOptions = {}): Promise<BenchCa> {
  const dataDir = existing?.dataDir ?? mkdtempSync(join(os.tmpdir(), 'mailca-bench-'));
  const masterKey = existing?.masterKey ?? randomBytes(32).toString('hex');
  const schema = databaseUrl ? `bench_${randomBytes(6).toString('hex')}` : undefined;
  const config = envToConfig({
    values: {
      MAILCA_DATA_DIR: dataDir,
      MAILCA_MASTER_KEY: masterKey,
      MAILCA_PKI_URL: 'http://pki.bench.example',
      MAILCA_CA_ORGANIZATION: 'mailca Bench',
      LOG_LEVEL: 'silent',
      ...(databaseUrl ? { DATABASE_URL: databaseUrl } : {}),
    },
    sources: {},
    problems: [],
  });
  const wired = await wire(config, createRootLogger('silent'), { inMemory: false, ...(schema ? { schema } : {}) });
  const t0 = performance.now();
  if (!existing) await wired.ca.init('bench');
  const initMs = existing ? 0 : performance.now() - t0;
  let open = true;
  const close = async (): Promise<void> => {
    if (open) await wired.close();
    open = false;
  };
  return {
    backend: databaseUrl ? `PostgreSQL (schema ${schema}, dropped afterwards)` : `PGlite on disk (${join(dataDir, 'pglite')})`,
    wired,
    dataDir,
    masterKey,
    initMs,
    close,
    async cleanup() {
      await close();
      if (databaseUrl && schema) {
        const c = new pg.Client({ connectionString: databaseUrl });
        await c.connect();
        try {
          await c.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
        } finally {
          await c.end();
        }
      }
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

function rsa2048Spki(): Buffer {
  return generateKeyPairSync('rsa', { modulusLength: 2048, publicExponent: 0x10001 }).publicKey.export({ type: 'spki', format: 'der' });
}

/** Issues for existing keys (round-robin over `spkis`): the path that is only build + sign + lint + store. */
function existingKeyIssuer(wired: Wired, spkis: readonly Buffer[], tag: string): () => Promise<unknown> {
  let n = 0;
  return () => {
    const i = n++;
    return wired.ca.issue({ profile: 'smime', email: `${tag}-${i}@bench.example`, name: `Bench Subscriber ${i}`, spki: spkis[i % spkis.length], actor: 'bench' });
  };
}

// ---------------------------------------------------------------- 1. issuance vs signing

const binary = (b: Buffer): string => b.toString('latin1');

/** A forge certificate with the content of one of ours (same names, key, extensions). */
function forgeTwinOf(certDer: Buffer, issuerDer: Buffer): forge.pki.Certificate {
  const ours = readCertificate(certDer);
  const issuer = forge.pki.certificateFromAsn1(forge.asn1.fromDer(binary(issuerDer)));
  const cert = forge.pki.createCertificate();
  cert.serialNumber = ours.serialContent.toString('hex');
  cert.validity.notBefore = ours.notBefore;
  cert.validity.notAfter = ours.notAfter;
  const email = ours.subject.find((a) => a.oid === OID.emailAddress)?.value ?? 'bench@bench.example';
  // forge types valueTagClass as a Class, but reads it as the string type tag (UTF8String, IA5String)
  cert.setSubject(ours.subject.map((a) => ({ type: a.oid, value: a.value, valueTagClass: a.tag as unknown as forge.asn1.Class })));
  cert.setIssuer(issuer.subject.attributes);
  cert.publicKey = forge.pki.publicKeyFromAsn1(forge.asn1.fromDer(binary(ours.spki)));
  const raw = (oid: string): { id: string; critical: boolean; value: string } => {
    const e = ours.extensions.find((x) => x.oid === oid);
    if (!e) throw new Error(`sample certificate lacks extension ${oid}`);
    return { id: oid, critical: e.critical, value: binary(e.value) };
  };
  cert.setExtensions([
    { name: 'basicConstraints', cA: false, critical: true },
    { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
    { name: 'extKeyUsage', emailProtection: true },
    // forge has no builder for these two: the same DER as ours
    raw(OID.certificatePolicies),
    { name: 'subjectAltName', altNames: [{ type: 1, value: email }] },
    { name: 'subjectKeyIdentifier' },
    { name: 'authorityKeyIdentifier', keyIdentifier: binary(readCertificate(issuerDer).subjectKeyId!) },
    { name: 'cRLDistributionPoints', altNames: [{ type: 6, value: 'http://pki.bench.example/crl/issuing.crl' }] },
    raw(OID.authorityInfoAccess),
  ]);
  return cert;
}

async function benchIssuance(ca: BenchCa, spkis: readonly Buffer[], withForge: boolean): Promise<void> {
  const { wired } = ca;
  const issue = existingKeyIssuer(wired, spkis, 'existing');
  const sample = await wired.ca.issue({ profile: 'smime', email: 'sample@bench.example', name: 'Bench Sample', spki: spkis[0], actor: 'bench' });
  const tbs = readCertificate(sample.certDer).tbs;

  // the baseline key: RSA-4096 like the issuing CA's, so crypto.sign does the same work
  const caKey: KeyObject = generateKeyPairSync('rsa', { modulusLength: 4096, publicExponent: 0x10001 }).privateKey;
  const native = (): Buffer => nativeSign('sha256', tbs, caKey);

  for (let i = 0; i < 30; i++) {
    await issue();
    native();
  }
  // interleaved rounds, ABBA order, so that drift in the machine's speed hits both alike
  let ours = ZERO;
  let base = ZERO;
  const pairRatios: number[] = [];
  const meter = loadMeter();
  for (let r = 0; r < PLAN.issueRounds; r++) {
    let a: Rate;
    let b: Rate;
    if (r % 2 === 0) {
      b = timeSync(PLAN.roundMs, native);
      a = await timeAsync(PLAN.roundMs, issue);
    } else {
      a = await timeAsync(PLAN.roundMs, issue);
      b = timeSync(PLAN.roundMs, native);
    }
    ours = add(ours, a);
    base = add(base, b);
    pairRatios.push(perSecond(a) / perSecond(b));
  }
  const oursRate = perSecond(ours);
  const nativeRate = perSecond(base);
  const ratio = oursRate / nativeRate;
  pairRatios.sort((x, y) => x - y);
  out(`  issued ${ours.ops} certificates in ${fmt(ours.ms / 1000)} s: ${fmt(oursRate)} certs/s (${fmt(ours.ms / ours.ops, 2)} ms each)`);
  out(`  native crypto.sign, RSA-4096, SHA-256, ${tbs.length}-byte TBS: ${base.ops} signatures in ${fmt(base.ms / 1000)} s: ${fmt(nativeRate)} signs/s (${fmt(base.ms / base.ops, 2)} ms each)`);
  out(`  ${PLAN.issueRounds} interleaved rounds of ${PLAN.roundMs} ms each (ABBA); per-round ratios ${fmt(pairRatios[0]!, 3)} … ${fmt(pairRatios[pairRatios.length - 1]!, 3)}, median ${fmt(pairRatios[pairRatios.length >> 1]!, 3)}`);
  out(`  ${meter.stop()}`);
  report({
    id: ca.backend.startsWith('PostgreSQL') ? '1a-pg' : '1a',
    what: `issue for an existing key (build + sign + lint + store, ${ca.backend.split(' (')[0]}) vs native crypto.sign alone`,
    figure: `${fmt(oursRate)} certs/s`,
    baseline: `${fmt(nativeRate)} signs/s`,
    ratio: fmt(ratio, 3),
    target: '>= 0.5',
    pass: ratio >= 0.5,
  });

  if (!withForge) return;
  const forgeKey = forge.pki.privateKeyFromPem(caKey.export({ type: 'pkcs8', format: 'pem' }) as string);
  const twins = Array.from({ length: PLAN.forgeSigns + 1 }, () => forgeTwinOf(sample.certDer, sample.chain[0]!));
  twins[0]!.sign(forgeKey, forge.md.sha256.create()); // warm-up
  const forgeTbsLength = forge.asn1.toDer(twins[0]!.tbsCertificate).length();
  const t0 = performance.now();
  for (const c of twins.slice(1)) c.sign(forgeKey, forge.md.sha256.create());
  const forgeRate = perSecond({ ops: PLAN.forgeSigns, ms: performance.now() - t0 });
  // sanity: forge's certificate verifies natively, so it did the full signature
  const twinDer = Buffer.from(forge.asn1.toDer(forge.pki.certificateToAsn1(twins[1]!)).getBytes(), 'latin1');
  const twinRead = readCertificate(twinDer);
  const okNative = nativeVerify('sha256', twinRead.tbs, caKey, twinRead.signature);
  out(`  node-forge cert.sign, RSA-4096 (forge key), SHA-256, ${forgeTbsLength}-byte TBS: ${PLAN.forgeSigns} in ${fmt((PLAN.forgeSigns * 1000) / forgeRate / 1000)} s: ${fmt(forgeRate, 2)} signs/s; signature verifies natively: ${okNative}`);
  const speedup = oursRate / forgeRate;
  report({
    id: '1b',
    what: 'issue for an existing key vs node-forge cert.sign alone',
    figure: `${fmt(oursRate)} certs/s`,
    baseline: `${fmt(forgeRate, 2)} signs/s`,
    ratio: `${fmt(speedup)}x`,
    target: '>= 20x',
    pass: speedup >= 20,
  });
}

// ---------------------------------------------------------------- 2. PKCS#12

interface P12Case {
  readonly id: string;
  readonly format: Pkcs12Format;
  readonly ours: Pkcs12Options;
  readonly forge: Record<string, unknown>;
  readonly params: string;
  readonly headline: boolean;
  readonly note?: string;
}

function checkOpens(der: Buffer, what: string): void {
  const p12 = forge.pkcs12.pkcs12FromAsn1(forge.asn1.fromDer(binary(der)), PASSWORD);
  const keys = p12.getBags({ bagType: forge.pki.oids.pkcs8ShroudedKeyBag! })[forge.pki.oids.pkcs8ShroudedKeyBag!] ?? [];
  const certs = p12.getBags({ bagType: forge.pki.oids.certBag! })[forge.pki.oids.certBag!] ?? [];
  if (keys.length !== 1 || !keys[0]!.key || certs.length !== 3) throw new Error(`${what}: the PKCS#12 does not open to one key and three certificates`);
}

/** The KDF's JavaScript SHA-1 chain against OpenSSL's SHA-1, one native call per step. */
function checkSha1Rehash(): void {
  for (const times of [0, 1, 2, 15, 16, 17, 79, 80, 81, 2047, 2048, 10_000]) {
    const start = randomBytes(20);
    let expected: Buffer = start;
    for (let i = 0; i < times; i++) expected = hash('sha1', expected, 'buffer') as unknown as Buffer;
    if (!sha1Rehash(start, times).equals(expected)) throw new Error(`sha1Rehash differs from crypto.hash after ${times} iterations`);
  }
}

async function benchPkcs12(ca: BenchCa): Promise<void> {
  checkSha1Rehash();
  out('  checked: the PKCS#12 KDF\'s SHA-1 chain equals chained native crypto.hash (12 counts up to 10,000)');
  // realistic inputs: a key mailca generated and its certificate, with the chain
  const bundle = await ca.wired.ca.issue({ profile: 'smime', email: 'p12@bench.example', name: FRIENDLY_NAME, key: 'rsa-2048', actor: 'bench' });
  const pkcs8 = bundle.pkcs8!;
  // forge's inputs, converted once outside the timed loops
  const forgeKey = forge.pki.privateKeyFromAsn1(forge.asn1.fromDer(binary(pkcs8)));
  const forgeCerts = [bundle.certDer, ...bundle.chain].map((d) => forge.pki.certificateFromAsn1(forge.asn1.fromDer(binary(d))));
  const random = DEFAULT_PKCS12_OPTIONS.random;
  const legacy = DEFAULT_PKCS12_OPTIONS.legacyIterations;
  const modern = DEFAULT_PKCS12_OPTIONS.modernIterations;

  const cases: P12Case[] = [
    {
      id: '2-modern',
      format: 'modern',
      ours: { modernIterations: modern, legacyIterations: modern, random },
      forge: { algorithm: 'aes256', prfAlgorithm: 'sha256', count: modern, friendlyName: FRIENDLY_NAME },
      params: `PBES2 PBKDF2-HMAC-SHA256 ${modern} + AES-256-CBC; MAC HMAC-SHA1 with ${modern} KDF iterations (both sides)`,
      headline: true,
      note: `forge has one count for key and MAC, so ours runs here with MAC iterations = ${modern} too; PBES2 salt is 16 bytes in ours, 8 in forge`,
    },
    {
      id: '2-compat',
      format: 'compat',
      ours: DEFAULT_PKCS12_OPTIONS,
      forge: { algorithm: '3des', count: legacy, friendlyName: FRIENDLY_NAME },
      params: `pbeWithSHAAnd3-KeyTripleDES-CBC ${legacy}; MAC HMAC-SHA1 ${legacy} (both sides; ours as shipped)`,
      headline: true,
    },
    {
      id: '2-modern-shipped',
      format: 'modern',
      ours: DEFAULT_PKCS12_OPTIONS,
      forge: { algorithm: 'aes256', prfAlgorithm: 'sha256', count: modern, friendlyName: FRIENDLY_NAME },
      params: `ours as shipped: PBKDF2 ${modern}, MAC ${legacy}; forge: PBKDF2 ${modern}, MAC ${modern} (forge cannot set them apart)`,
      headline: false,
      note: 'not like for like (forge does more MAC work); shown for information, the matched line above is the one that counts',
    },
  ];

  const meter = loadMeter();
  for (const c of cases) {
    const req = { format: c.format, pkcs8, certDer: bundle.certDer, chain: bundle.chain, friendlyName: FRIENDLY_NAME, password: PASSWORD };
    const ours = (): Buffer => buildPkcs12(req, c.ours);
    const theirs = (): Buffer => Buffer.from(forge.asn1.toDer(forge.pkcs12.toPkcs12Asn1(forgeKey, forgeCerts, PASSWORD, { ...c.forge })).getBytes(), 'latin1');
    checkOpens(ours(), `ours ${c.id}`);
    checkOpens(theirs(), `forge ${c.id}`);
    const a = timeSync(PLAN.p12Ms, ours, 5);
    const b = timeSync(PLAN.p12Ms, theirs, PLAN.p12ForgeMin);
    const speedup = perSecond(a) / perSecond(b);
    out(`  ${c.id}: ${c.params}`);
    out(`    ours ${fmt(perSecond(a))}/s (${fmt(a.ms / a.ops, 2)} ms each, ${a.ops} runs); forge ${fmt(perSecond(b), 2)}/s (${fmt(b.ms / b.ops, 1)} ms each, ${b.ops} runs); both outputs open with forge`);
    if (c.headline) {
      report({ id: c.id, what: `PKCS#12 ${c.format} vs forge.pkcs12.toPkcs12Asn1 + toDer, same parameters`, figure: `${fmt(perSecond(a))}/s`, baseline: `${fmt(perSecond(b), 2)}/s`, ratio: `${fmt(speedup)}x`, target: '>= 8x', pass: speedup >= 8, ...(c.note ? { note: c.note } : {}) });
    } else {
      out(`    (info) ${fmt(speedup)}x: ${c.note}`);
    }
  }
  out(`  ${meter.stop()}`);
  pkcs8.fill(0);
}

// ---------------------------------------------------------------- 3. generated keys

async function benchGeneratedKeys(ca: BenchCa): Promise<void> {
  let n = 0;
  const ours = async (): Promise<void> => {
    const i = n++;
    const b = await ca.wired.ca.issue({ profile: 'smime', email: `gen-${i}@bench.example`, name: `Bench Generated ${i}`, key: 'rsa-2048', actor: 'bench' });
    b.pkcs8?.fill(0);
  };
  // the same call mailca makes (src/ca/keys.ts), DER export included
  const native = async (): Promise<void> => {
    await generateKeyPairAsync('rsa', { modulusLength: 2048, publicExponent: 0x10001, publicKeyEncoding: { type: 'spki', format: 'der' }, privateKeyEncoding: { type: 'pkcs8', format: 'der' } });
  };
  await pool(IN_FLIGHT, IN_FLIGHT, ours);
  await pool(IN_FLIGHT, IN_FLIGHT, native);
  let a = ZERO;
  let b = ZERO;
  const pairRatios: number[] = [];
  const meter = loadMeter();
  for (let r = 0; r < PLAN.keygenRounds; r++) {
    let x: Rate;
    let y: Rate;
    if (r % 2 === 0) {
      y = await pool(PLAN.keygenPerRound, IN_FLIGHT, native);
      x = await pool(PLAN.keygenPerRound, IN_FLIGHT, ours);
    } else {
      x = await pool(PLAN.keygenPerRound, IN_FLIGHT, ours);
      y = await pool(PLAN.keygenPerRound, IN_FLIGHT, native);
    }
    a = add(a, x);
    b = add(b, y);
    pairRatios.push(perSecond(x) / perSecond(y));
  }
  pairRatios.sort((p, q) => p - q);
  const ratio = perSecond(a) / perSecond(b);
  out(`  ${a.ops} certificates with new RSA-2048 keys, ${IN_FLIGHT} in flight: ${fmt(perSecond(a), 2)}/s (${fmt(a.ms / 1000)} s)`);
  out(`  ${b.ops} native generateKeyPair RSA-2048, ${IN_FLIGHT} in flight: ${fmt(perSecond(b), 2)} keys/s (${fmt(b.ms / 1000)} s)`);
  out(`  ${PLAN.keygenRounds} interleaved rounds of ${PLAN.keygenPerRound} (ABBA); per-round ratios ${fmt(pairRatios[0]!, 3)} … ${fmt(pairRatios[pairRatios.length - 1]!, 3)}, median ${fmt(pairRatios[pairRatios.length >> 1]!, 3)}`);
  out(`  ${meter.stop()}`);
  report({
    id: '3',
    what: `issue with CA-generated RSA-2048 keys (${IN_FLIGHT} in flight) vs native generateKeyPair (${IN_FLIGHT} in flight)`,
    figure: `${fmt(perSecond(a), 2)} certs/s`,
    baseline: `${fmt(perSecond(b), 2)} keys/s`,
    ratio: fmt(ratio, 3),
    target: '>= 0.9',
    pass: ratio >= 0.9,
    note: 'RSA key generation time varies a lot from key to key (random prime search); expect a few per cent of noise',
  });
}

// ---------------------------------------------------------------- 4. memory over many certificates

interface RssResult {
  readonly certs: number;
  readonly seconds: number;
  readonly maxRssKiB: number;
  /** VmHWM of /proc/self/status: the peak RSS of this process's own address space. */
  readonly hwmRssKiB: number;
  readonly sampledPeakRss: number;
  readonly rssAtStart: number;
  readonly rssBeforeIssuing: number;
  readonly rssAtEnd: number;
  /** RSS after each tenth of the certificates. */
  readonly rssByTenth: number[];
  readonly backend: string;
}

/** Peak RSS of this process's address space (Linux /proc/self/status VmHWM), in KiB. */
function vmHwmKiB(): number {
  const m = /^VmHWM:\s+(\d+) kB$/m.exec(readFileSync('/proc/self/status', 'utf8'));
  if (!m) throw new Error('VmHWM not found in /proc/self/status (the memory part needs Linux)');
  return Number(m[1]);
}

/**
 * Runs in a child process (`--rss-child N`) that opens the CA the parent made, as
 * `mailca start` opens its data directory, so its peak RSS is that of a process that
 * issues, not of the one-off `mailca ca init` (whose initdb peak the parent reports).
 */
async function rssChild(count: number): Promise<void> {
  const rssAtStart = process.memoryUsage().rss;
  let sampledPeak = rssAtStart;
  const sample = (): void => {
    sampledPeak = Math.max(sampledPeak, process.memoryUsage.rss());
  };
  // a timer while the store opens; the issuing loop below samples after every certificate
  // itself, since its awaits resolve without giving timers a turn
  const timer = setInterval(sample, 100);
  const dataDir = process.env.BENCH_RSS_DATA_DIR;
  const masterKey = process.env.BENCH_RSS_MASTER_KEY;
  if (!dataDir || !masterKey) throw new Error('--rss-child needs BENCH_RSS_DATA_DIR and BENCH_RSS_MASTER_KEY');
  const ca = await openCa({ existing: { dataDir, masterKey } });
  try {
    const spkis = [rsa2048Spki(), rsa2048Spki(), rsa2048Spki()];
    const issue = existingKeyIssuer(ca.wired, spkis, 'rss');
    const rssBeforeIssuing = process.memoryUsage().rss;
    process.stderr.write(`    store open: rss ${mib(rssBeforeIssuing)}, peak so far ${mib(vmHwmKiB() * 1024)}\n`);
    const rssByTenth: number[] = [];
    const tenth = Math.max(1, Math.floor(count / 10));
    const t0 = performance.now();
    for (let i = 0; i < count; i++) {
      await issue();
      sample();
      if ((i + 1) % tenth === 0) {
        rssByTenth.push(process.memoryUsage().rss);
        process.stderr.write(`    … ${i + 1} issued, rss ${mib(rssByTenth.at(-1)!)}, peak so far ${mib(vmHwmKiB() * 1024)}\n`);
      }
    }
    const seconds = (performance.now() - t0) / 1000;
    const result: RssResult = {
      certs: count,
      seconds,
      maxRssKiB: process.resourceUsage().maxRSS,
      hwmRssKiB: vmHwmKiB(),
      sampledPeakRss: sampledPeak,
      rssAtStart,
      rssBeforeIssuing,
      rssAtEnd: process.memoryUsage().rss,
      rssByTenth,
      backend: ca.backend.split(' (')[0]!,
    };
    process.stdout.write(`${JSON.stringify(result)}\n`);
  } finally {
    clearInterval(timer);
    await ca.close(); // the parent removes the directory
  }
}

/** `ca` must be closed: the child opens its data directory (PGlite takes one process at a time). */
async function benchRss(ca: BenchCa, parentPeakAfterInit: number): Promise<void> {
  const child = spawn(process.execPath, [...process.execArgv, SELF, '--rss-child', String(PLAN.rssCerts)], {
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, BENCH_RSS_DATA_DIR: ca.dataDir, BENCH_RSS_MASTER_KEY: ca.masterKey },
  });
  let stdout = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  const last = stdout.trim().split('\n').at(-1);
  if (code !== 0 || !last) throw new Error(`the memory child exited with ${code}`);
  const r = JSON.parse(last) as RssResult;
  const peak = r.hwmRssKiB * 1024;
  const secondHalf = r.rssByTenth.slice(Math.floor(r.rssByTenth.length / 2));
  const drift = secondHalf.length > 1 ? secondHalf.at(-1)! - secondHalf[0]! : 0;
  out(`  child process opening the CA above (${r.backend}): ${r.certs} certificates in ${fmt(r.seconds)} s = ${fmt(r.certs / r.seconds)} certs/s`);
  out(`  RSS at start (node and modules) ${mib(r.rssAtStart)}; with the store open, before issuing ${mib(r.rssBeforeIssuing)}; at the end ${mib(r.rssAtEnd)} (growth while issuing ${mib(r.rssAtEnd - r.rssBeforeIssuing)})`);
  out(`  peak: VmHWM ${mib(peak)} = ${fmt(peak / 1e6)} MB; highest sample (every 100 ms while opening, after every certificate) ${mib(r.sampledPeakRss)}`);
  out(`  (info) getrusage maxRSS of the child ${mib(r.maxRssKiB * 1024)}: not used, since on Linux it also counts the copy of this parent that existed between fork and exec`);
  out(`  (info) this parent process, which also ran \`ca init\` on an empty data directory (PGlite initdb), peaked at ${mib(parentPeakAfterInit)} right after init`);
  report({
    id: '4',
    what: `issue ${r.certs} certificates in one process: peak RSS (VmHWM of the whole child process)`,
    figure: `${fmt(peak / 1e6)} MB peak, ${fmt(r.certs / r.seconds)} certs/s`,
    baseline: 'fixed limit 300 MB',
    ratio: `${fmt((100 * peak) / RSS_LIMIT_BYTES)} % of the limit`,
    target: '< 300 MB',
    pass: peak < RSS_LIMIT_BYTES,
    note:
      `before the first certificate the process already held ${mib(r.rssBeforeIssuing)} (${mib(r.rssAtStart)} node and modules; ${mib(r.rssBeforeIssuing - r.rssAtStart)} the open PGlite store); ` +
      `issuing added ${mib(r.rssAtEnd - r.rssBeforeIssuing)}, of which ${mib(drift)} over the second half of the run${QUICK ? `; quick run: ${r.certs} certificates, not 10,000` : ''}`,
  });
}

// ---------------------------------------------------------------- main

function machine(): void {
  const cpus = os.cpus();
  const require = createRequire(import.meta.url);
  const forgeVersion = (JSON.parse(readFileSync(require.resolve('node-forge/package.json'), 'utf8')) as { version: string }).version;
  out(`mailca CA benchmark${QUICK ? ' (QUICK: smoke run, small counts; figures are not the record)' : ''}`);
  out(`  machine: ${cpus[0]?.model ?? 'unknown CPU'}, ${cpus.length} logical CPUs, ${fmt(os.totalmem() / 2 ** 30)} GiB RAM, ${os.platform()} ${os.release()} ${os.arch()}`);
  out(`  node ${process.version} (OpenSSL ${process.versions.openssl}), node-forge ${forgeVersion}, libuv thread pool ${process.env.UV_THREADPOOL_SIZE ?? '4 (default)'}`);
  out(`  started ${new Date().toISOString()}`);
}

async function main(): Promise<void> {
  machine();
  out();
  out('setting up: a CA in a fresh data directory (mailca ca init: two RSA-4096 keys) …');
  const ca = await openCa();
  const parentPeakAfterInit = process.resourceUsage().maxRSS * 1024;
  const spkis = [rsa2048Spki(), rsa2048Spki(), rsa2048Spki()];
  out(`  backend: ${ca.backend}; init took ${fmt(ca.initMs / 1000)} s`);
  try {
    if (ONLY.has(1)) {
      out();
      out('[1] issuing a certificate for an existing key');
      await benchIssuance(ca, spkis, true);
    }
    if (ONLY.has(1) && process.env.DATABASE_URL) {
      out();
      out('[1, PostgreSQL] the same against DATABASE_URL');
      const pgCa = await openCa({ databaseUrl: process.env.DATABASE_URL });
      try {
        out(`  backend: ${pgCa.backend}; init took ${fmt(pgCa.initMs / 1000)} s`);
        await benchIssuance(pgCa, spkis, false);
      } finally {
        await pgCa.cleanup();
      }
    }
    if (ONLY.has(2)) {
      out();
      out('[2] building a PKCS#12');
      await benchPkcs12(ca);
    }
    if (ONLY.has(3)) {
      out();
      out('[3] issuing with CA-generated keys, both cores busy');
      await benchGeneratedKeys(ca);
    }
    await ca.close();
    if (ONLY.has(4)) {
      out();
      out(`[4] memory: ${PLAN.rssCerts} certificates in one process (a child process of its own) …`);
      await benchRss(ca, parentPeakAfterInit);
    }
  } finally {
    await ca.cleanup();
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

const childAt = process.argv.indexOf('--rss-child');
if (childAt >= 0) await rssChild(Number(process.argv[childAt + 1]));
else await main();
