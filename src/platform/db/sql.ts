/**
 * Quoting for the DDL statements Postgres will not take parameters in (CREATE ROLE,
 * CREATE DATABASE, ALTER ... PASSWORD). Names passed here are validated before; this is
 * the second fence, not the first.
 */
export function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

export function quoteLiteral(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}
