import { validationFailed, type ValidationIssue } from '../../platform/http/validation.js';
import type { FieldView } from './work.settings.js';

const datePattern = /^\d{4}-\d{2}-\d{2}$/;
const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * A task's custom field values checked against the project's fields: each by its kind (text up to
 * 2,000 characters, a finite number, a calendar date, one of a select's options, several of a
 * multi select's, an active member), unknown fields refused, `null` clearing one. Returns the
 * values merged over `current`; `requireAll` (a new task) also asks for every required field.
 */
export function checkFieldValues(
  fields: readonly FieldView[],
  values: Record<string, unknown>,
  current: Record<string, unknown>,
  activeUserIds: ReadonlySet<string>,
  requireAll: boolean,
): Record<string, unknown> {
  const issues: ValidationIssue[] = [];
  const merged = { ...current };
  const byId = new Map(fields.map((field) => [field.id, field]));
  for (const [id, value] of Object.entries(values)) {
    const field = byId.get(id);
    if (!field) {
      issues.push({ in: 'body', path: `fields.${id}`, message: 'this project has no such field' });
      continue;
    }
    if (value === null) {
      delete merged[id];
      continue;
    }
    const problem = problemWith(field, value, activeUserIds);
    if (problem) issues.push({ in: 'body', path: `fields.${id}`, message: `${field.name}: ${problem}` });
    else merged[id] = typeof value === 'string' ? value.trim() : value;
  }
  for (const field of fields)
    if (field.required && (requireAll || field.id in values) && merged[field.id] === undefined)
      issues.push({ in: 'body', path: `fields.${field.id}`, message: `${field.name} is required` });
  if (issues.length > 0) throw validationFailed(issues, 'task');
  return merged;
}

function problemWith(field: FieldView, value: unknown, users: ReadonlySet<string>): string | undefined {
  switch (field.kind) {
    case 'text':
      return typeof value === 'string' && value.length <= 2000 ? undefined : 'give text of at most 2,000 characters';
    case 'number':
      return typeof value === 'number' && Number.isFinite(value) ? undefined : 'give a number';
    case 'date':
      return typeof value === 'string' && datePattern.test(value) && !Number.isNaN(Date.parse(value))
        ? undefined
        : 'give a date as YYYY-MM-DD';
    case 'select':
      return typeof value === 'string' && field.options.includes(value)
        ? undefined
        : `choose one of ${field.options.map((option) => `"${option}"`).join(', ')}`;
    case 'multi_select':
      return Array.isArray(value) && value.every((item) => typeof item === 'string' && field.options.includes(item))
        ? undefined
        : `choose any of ${field.options.map((option) => `"${option}"`).join(', ')}, as a list`;
    case 'user':
      return typeof value === 'string' && uuidPattern.test(value) && users.has(value)
        ? undefined
        : 'give the id of an active member of the workspace';
  }
}
