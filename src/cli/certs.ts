import type { Command } from 'commander';
import { createCa, createNodeCertificate, revokeCertificate, showCertificates } from '../modules/replication/index.js';
import type { CertificateSummary } from '../platform/crypto/certs.js';
import { configFrom, globalOptions } from './context.js';
import { printJson } from './output.js';

const line = (label: string, summary: CertificateSummary): string =>
  `${label}: ${summary.subject}, issued by ${summary.issuer}${summary.addresses.length ? `, for ${summary.addresses.join(', ')}` : ''}, valid until ${summary.notAfter.toISOString().slice(0, 10)} (serial ${summary.serialNumber}, SHA-256 ${summary.fingerprint256})\n`;

/** `steadfast certs`: the CA and node certificates of the replication channel. */
export function registerCertsCommands(program: Command): void {
  const certs = program
    .command('certs')
    .description('the certificates nodes replicate with: TLS both ways, no passwords');
  registerCertsCreateCa(certs);
  registerCertsCreateNode(certs);
  registerCertsRevoke(certs);
  registerCertsShow(certs);
}

/** `steadfast certs create-ca`: the CA, once, on one machine. */
function registerCertsCreateCa(certs: Command): void {
  certs
    .command('create-ca')
    .description("create this installation's CA in <home>/tls (once, on one machine; keep ca.key safe)")
    .option('--name <name>', "the CA's common name", 'Steadfast replication CA')
    .option('--json', 'print the result as JSON')
    .action(async (flags: { name: string; json?: boolean }, command: Command) => {
      const config = configFrom(globalOptions(command));
      const result = await createCa(config.home, flags.name);
      if (flags.json) return printJson(result);
      process.stdout.write(line('CA', result.summary));
      process.stdout.write(
        `Wrote ${result.certificate} and ${result.key}. Whoever holds ca.key can make certificates your nodes trust: keep it on this machine (or offline), never on a standby.\n`,
      );
    });
}

/** `steadfast certs create-node <address...>`: a node certificate for its addresses. */
function registerCertsCreateNode(certs: Command): void {
  certs
    .command('create-node <address...>')
    .description('make a node certificate for the addresses a node is reached at (IP addresses or DNS names)')
    .option('--out <dir>', 'where to write ca.crt, node.crt and node.key (default: <home>/tls, for this machine)')
    .option('--json', 'print the result as JSON')
    .action(async (addresses: string[], flags: { out?: string; json?: boolean }, command: Command) => {
      const config = configFrom(globalOptions(command));
      const result = await createNodeCertificate(config.home, addresses, flags.out);
      if (flags.json) return printJson(result);
      process.stdout.write(line('node', result.summary));
      process.stdout.write(
        flags.out
          ? `Wrote ca.crt, node.crt and node.key to ${result.dir}: copy them into the other node's <home>/tls (over a channel you trust), then delete them here.\n`
          : `Wrote node.crt and node.key to ${result.dir}; restart Steadfast to use them.\n`,
      );
    });
}

/** `steadfast certs revoke <certificate>`: a certificate taken back, in the CA's revocation list. */
function registerCertsRevoke(certs: Command): void {
  certs
    .command('revoke <certificate>')
    .description(
      'where the CA is: take back a node certificate (its node.crt file, or its serial number), for a machine retired or a key that leaked',
    )
    .requiredOption('--reason <text>', 'why, for the record')
    .option('--json', 'print the result as JSON')
    .action(async (which: string, flags: { reason: string; json?: boolean }, command: Command) => {
      const config = configFrom(globalOptions(command));
      const result = await revokeCertificate(config.home, which, flags.reason);
      if (flags.json) return printJson(result);
      const what = `${result.revoked.serialNumber}${result.revoked.addresses?.length ? ` (for ${result.revoked.addresses.join(', ')})` : ''}`;
      process.stdout.write(
        result.already
          ? `Certificate ${what} was already revoked; ${result.crl} lists it.\n`
          : `Revoked certificate ${what}; ${result.crl} now lists ${result.total} certificate(s).\n`,
      );
      process.stdout.write(
        `Copy ca.crl into <home>/tls on every node (this one too, if it runs a node) and restart "steadfast up" there: from then on they refuse that certificate. Give the machine that had it a new one ("steadfast certs create-node") if it stays.\n`,
      );
    });
}

/** `steadfast certs show`: the certificates this node holds, and what is wrong with them. */
function registerCertsShow(certs: Command): void {
  certs
    .command('show')
    .description('the CA and node certificate this node holds')
    .option('--json', 'print the result as JSON')
    .action(async (flags: { json?: boolean }, command: Command) => {
      const config = configFrom(globalOptions(command));
      const result = await showCertificates(config.home);
      if (flags.json) return printJson(result);
      if (result.ca) process.stdout.write(line('CA', result.ca));
      else
        process.stdout.write(
          'No CA certificate: run "steadfast certs create-ca" on one machine, or copy its ca.crt here.\n',
        );
      if (result.node)
        process.stdout.write(
          line('node', result.node) +
            (result.node.trusted
              ? ''
              : 'warning: this node certificate is not signed by the CA here (or has expired): the other nodes will refuse it.\n') +
            (result.node.revoked
              ? 'warning: this node certificate is revoked (ca.crl lists it): the other nodes refuse it; make a new one with "steadfast certs create-node".\n'
              : ''),
        );
      else process.stdout.write('No node certificate: run "steadfast certs create-node <address>".\n');
      if (result.revokedSerials)
        process.stdout.write(
          `Revocation list: ${result.revokedSerials.length} certificate(s) revoked${result.revokedSerials.length ? ` (${result.revokedSerials.join(', ')})` : ''}.\n`,
        );
      if (result.caKeyHere) process.stdout.write('The CA key is on this machine.\n');
    });
}
