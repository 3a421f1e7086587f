/** The colours offered for states and labels (the API takes any #rrggbb; these read well on white). */
export const palette: ReadonlyArray<[color: string, name: string]> = [
  ['#8a8f98', 'Grey'],
  ['#5e6ad2', 'Indigo'],
  ['#2f5bea', 'Blue'],
  ['#0ea5b7', 'Teal'],
  ['#27ae60', 'Green'],
  ['#d4a017', 'Yellow'],
  ['#f2994a', 'Orange'],
  ['#e5484d', 'Red'],
  ['#d6409f', 'Pink'],
  ['#8e4ec6', 'Purple'],
  ['#bdbdbd', 'Light grey'],
];

/** The palette, with a colour not in it kept as "Custom". */
export function colorOptions(current?: string): Array<[string, string]> {
  const options = palette.map(([color, name]): [string, string] => [color, name]);
  if (current && !palette.some(([color]) => color === current)) options.unshift([current, `Custom (${current})`]);
  return options;
}
