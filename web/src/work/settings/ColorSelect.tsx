import { ColorDot } from '../bits';
import { colorOptions } from './palette';

/** A colour chosen by name from the palette, its dot beside the select. */
export function ColorSelect({
  id,
  label,
  value,
  disabled,
  onChange,
}: {
  id?: string;
  label: string;
  value: string;
  disabled?: boolean;
  onChange(color: string): void;
}) {
  return (
    <span className="color-select">
      <ColorDot color={value} size={12} />
      <select
        id={id}
        aria-label={id ? undefined : label}
        value={value}
        disabled={disabled}
        onChange={(event) => onChange(event.target.value)}
      >
        {colorOptions(value).map(([color, name]) => (
          <option key={color} value={color}>
            {name}
          </option>
        ))}
      </select>
    </span>
  );
}
