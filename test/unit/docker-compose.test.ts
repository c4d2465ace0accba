/**
 * docker-compose.yml as docs/deployment.md describes it, checked without Docker: each
 * mailca service runs `mailca start --role <its role>`, all share one database, Redis,
 * master key, mail domain and queue prefix, each has a health check on /readyz, waits for
 * healthy PostgreSQL and Redis, and Redis keeps an append-only file on a volume.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

interface Service {
  image?: string;
  build?: unknown;
  command?: string[];
  environment?: Record<string, string>;
  depends_on?: Record<string, { condition: string }>;
  healthcheck?: { test: string[] };
  volumes?: string[];
  ports?: string[];
  deploy?: { replicas?: number };
  stop_grace_period?: string;
}

// merge keys (`<<: *mailca`) as Compose reads them
const compose = parse(readFileSync(join(process.cwd(), 'docker-compose.yml'), 'utf8'), { merge: true }) as { services: Record<string, Service>; volumes: Record<string, unknown> };
const services = compose.services;
const MAILCA = { smtp: 'smtp', worker: 'worker', http: 'http' } as const;
const SHARED = ['DATABASE_URL', 'REDIS_URL', 'MAILCA_MASTER_KEY', 'MAILCA_MAIL_DOMAIN', 'BULLMQ_PREFIX', 'MAILCA_PUBLIC_URL', 'OUTBOUND_SMTP_URL'];

describe('docker-compose.yml', () => {
  it('has the roles as separate services over postgres and redis', () => {
    expect(Object.keys(services).sort()).toEqual(['http', 'postgres', 'redis', 'smtp', 'worker']);
    expect(services.worker!.deploy?.replicas).toBeGreaterThanOrEqual(2);
  });

  it.each(Object.entries(MAILCA))('%s runs `mailca start --role` with its role, and http for its probe', (name, role) => {
    const s = services[name]!;
    expect(s.build ?? s.image).toBeDefined();
    expect(s.command?.[0]).toBe('start');
    expect(s.command?.[1]).toBe('--role');
    const roles = s.command![2]!.split(',');
    expect(roles).toContain(role);
    expect(roles, 'a /readyz needs the http role').toContain('http');
    // no other service's job: a worker does not take SMTP, the web process runs no jobs
    for (const other of Object.values(MAILCA)) if (other !== role && other !== 'http') expect(roles).not.toContain(other);
  });

  it('gives every mailca service the same database, Redis, master key, mail domain and prefix', () => {
    const envs = Object.keys(MAILCA).map((n) => services[n]!.environment ?? {});
    for (const key of SHARED) {
      const values = new Set(envs.map((e) => e[key]));
      expect(values.size, `${key} is the same everywhere`).toBe(1);
      expect([...values][0], `${key} is set`).toBeTruthy();
    }
    const env = envs[0]!;
    expect(env.DATABASE_URL).toMatch(/^postgres:\/\/[^@]+@postgres:5432\//);
    expect(env.REDIS_URL).toBe('redis://redis:6379');
    // the master key has no default: Compose refuses to start without one, saying why
    expect(env.MAILCA_MASTER_KEY).toMatch(/^\$\{MAILCA_MASTER_KEY:\?.+\}$/);
    expect(env.MAILCA_MAIL_DOMAIN).toMatch(/^\$\{MAILCA_MAIL_DOMAIN:\?.+\}$/);
    expect(env.MAILCA_ENV).toBe('production');
  });

  it.each(Object.keys(MAILCA))('%s has a health check on /readyz, waits for healthy postgres and redis, and 60 s to drain', (name) => {
    const s = services[name]!;
    const test = s.healthcheck?.test ?? [];
    expect(test[0]).toBe('CMD');
    // the image has Node, not curl
    expect(test.slice(1, 3)).toEqual(['node', '-e']);
    expect(test[3]).toContain(`127.0.0.1:${s.environment!.HTTP_PORT}/readyz`);
    expect(test[3]).toMatch(/process\.exit\(r\.ok\?0:1\)/);
    expect(s.depends_on).toEqual({ postgres: { condition: 'service_healthy' }, redis: { condition: 'service_healthy' } });
    expect(s.stop_grace_period).toBe('60s');
  });

  it('keeps the SMTP spool on a volume of its own, and no volume shared between mailca services', () => {
    const smtpVolumes = services.smtp!.volumes ?? [];
    expect(smtpVolumes.some((v) => v.endsWith(':/data'))).toBe(true);
    const named = Object.keys(MAILCA).flatMap((n) => (services[n]!.volumes ?? []).map((v) => v.split(':')[0]!));
    expect(new Set(named).size, 'each data directory is one process’s own').toBe(named.length);
    // replicas of one service would share its named volume
    expect(services.worker!.volumes ?? []).toEqual([]);
  });

  it('runs redis with append-only persistence on a volume, and postgres on a volume, both with health checks', () => {
    const redis = services.redis!;
    const cmd = (redis.command ?? []).join(' ');
    expect(cmd).toMatch(/--appendonly yes/);
    expect(cmd).toMatch(/--maxmemory-policy noeviction/);
    expect(redis.volumes?.some((v) => v.endsWith(':/data'))).toBe(true);
    expect(redis.healthcheck?.test).toBeDefined();
    const pg = services.postgres!;
    expect(pg.volumes?.some((v) => v.endsWith(':/var/lib/postgresql/data'))).toBe(true);
    expect(pg.healthcheck?.test.join(' ')).toContain('pg_isready');
    for (const v of [...(redis.volumes ?? []), ...(pg.volumes ?? []), ...(services.smtp!.volumes ?? [])]) expect(Object.keys(compose.volumes)).toContain(v.split(':')[0]);
  });
});
