/**
 * A table's column headings; `action` adds the unnamed column of per-row buttons, named for screen
 * readers "Action" (or the words given).
 */
export function TableHead({ columns, action = false }: { columns: string[]; action?: boolean | string }) {
  return (
    <thead>
      <tr>
        {columns.map((column) => (
          <th scope="col" key={column}>
            {column}
          </th>
        ))}
        {action && (
          <th scope="col">
            <span className="visually-hidden">{action === true ? 'Action' : action}</span>
          </th>
        )}
      </tr>
    </thead>
  );
}
