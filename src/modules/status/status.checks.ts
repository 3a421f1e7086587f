import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import tls from 'node:tls';
import { timed, type Probe, type ProbeOutcome, type ProbedComponent } from '../../platform/probes.js';
import type { CheckKind, CheckTarget } from './status.tables.js';

/** A TLS certificate expiring within this many days is degraded, unless the check says otherwise. */
export const defaultCertificateWarnDays = 14;
/** A check answering slower than this is degraded. */
export const slowResponseMs = 5000;

/** An operator's own check as a probe: HTTP (status code and keyword), TCP connect, TLS certificate expiry. */
export function checkProbe(component: ProbedComponent, kind: CheckKind, target: CheckTarget): Probe {
  const check = { http: httpCheck, tcp: tcpCheck, tls: tlsCheck }[kind];
  return { component, check: (signal) => check(target, signal) };
}

/**
 * GETs a URL as a probe: the status code and (up to 1 MB of) the body. `insecure` reads a server
 * whose certificate this machine does not trust (the platform's own self-signed one): whether
 * it answers is the question, its certificate is the TLS check's.
 */
export function probeGet(
  url: string,
  signal: AbortSignal,
  options: { insecure?: boolean; headers?: Record<string, string> } = {},
): Promise<{ status: number; body: string }> {
  const client = url.startsWith('https:') ? https : http;
  return new Promise((resolve, reject) => {
    const request = client.get(
      url,
      {
        signal,
        headers: { 'user-agent': 'steadfast-probe', ...options.headers },
        ...(options.insecure ? { rejectUnauthorized: false } : {}),
      },
      (response) => {
        let body = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => {
          if (body.length < 1_000_000) body += chunk;
        });
        response.once('end', () => resolve({ status: response.statusCode ?? 0, body }));
        response.once('error', reject);
      },
    );
    request.once('error', reject);
  });
}

async function httpCheck(target: CheckTarget, signal: AbortSignal): Promise<ProbeOutcome> {
  const { value, ms } = await timed(() => probeGet(target.url!, signal, { insecure: target.insecure === true }));
  const statusOk = target.expectStatus ? value.status === target.expectStatus : value.status < 400;
  if (!statusOk)
    return {
      state: 'major_outage',
      responseMs: ms,
      message: `HTTP ${value.status} in ${ms} ms, expected ${target.expectStatus ?? 'below 400'}`,
    };
  if (target.keyword && !value.body.includes(target.keyword))
    return {
      state: 'major_outage',
      responseMs: ms,
      message: `HTTP ${value.status}, but "${target.keyword}" is missing`,
    };
  return {
    state: ms > slowResponseMs ? 'degraded' : 'operational',
    responseMs: ms,
    message: `HTTP ${value.status} in ${ms} ms`,
  };
}

async function tcpCheck(target: CheckTarget, signal: AbortSignal): Promise<ProbeOutcome> {
  const { ms } = await timed(
    () =>
      new Promise<void>((resolve, reject) => {
        const socket = net.connect({ host: target.host!, port: target.port!, signal });
        socket.once('connect', () => {
          socket.destroy();
          resolve();
        });
        socket.once('error', reject);
      }),
  );
  return {
    state: ms > slowResponseMs ? 'degraded' : 'operational',
    responseMs: ms,
    message: `${target.host}:${target.port} accepted a connection in ${ms} ms`,
  };
}

async function tlsCheck(target: CheckTarget, signal: AbortSignal): Promise<ProbeOutcome> {
  const { value, ms } = await timed(
    () =>
      new Promise<{ validTo: Date; trustError: Error | null }>((resolve, reject) => {
        // Read the certificate even when it is not trusted: the check reports why, and its expiry.
        const socket = tls.connect({
          host: target.host!,
          port: target.port ?? 443,
          ...(net.isIP(target.host!) ? {} : { servername: target.host! }),
          rejectUnauthorized: false,
        });
        signal.addEventListener('abort', () => socket.destroy(new Error('no answer in time')), { once: true });
        socket.once('secureConnect', () => {
          const certificate = socket.getPeerCertificate();
          socket.destroy();
          if (!certificate.valid_to) reject(new Error('the server sent no certificate'));
          else resolve({ validTo: new Date(certificate.valid_to), trustError: socket.authorizationError });
        });
        socket.once('error', reject);
      }),
  );
  const daysLeft = Math.floor((value.validTo.getTime() - Date.now()) / 86_400_000);
  const warnDays = target.warnDays ?? defaultCertificateWarnDays;
  const figures = { cert_days_left: daysLeft };
  const where = `${target.host}:${target.port ?? 443}`;
  if (daysLeft < 0)
    return {
      state: 'major_outage',
      responseMs: ms,
      figures,
      message: `${where}: the certificate expired ${value.validTo.toISOString()}`,
    };
  if (value.trustError)
    return {
      state: 'degraded',
      responseMs: ms,
      figures,
      message: `${where}: the certificate is not trusted (${String(value.trustError)}); it expires in ${daysLeft} days`,
    };
  return {
    state: daysLeft < warnDays ? 'degraded' : 'operational',
    responseMs: ms,
    figures,
    message: `${where}: the certificate expires in ${daysLeft} days (${value.validTo.toISOString().slice(0, 10)})`,
  };
}

/** Why a check's target cannot work, or undefined when it can. */
export function targetProblem(kind: CheckKind, target: CheckTarget): string | undefined {
  if (kind === 'http') {
    if (!target.url) return 'An HTTP check needs a url.';
    try {
      const url = new URL(target.url);
      if (!['http:', 'https:'].includes(url.protocol))
        return `An HTTP check reaches http or https, not ${url.protocol}`;
    } catch {
      return `${target.url} is not a URL.`;
    }
    return undefined;
  }
  if (!target.host) return `A ${kind.toUpperCase()} check needs a host.`;
  if (kind === 'tcp' && !target.port) return 'A TCP check needs a port.';
  return undefined;
}
