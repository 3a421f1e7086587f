import assert from 'node:assert/strict';
import { test } from 'node:test';
import { csvCell, toCsvLines } from './csv.js';

test('a cell a spreadsheet would run as a formula is defused; a negative number stays a number', () => {
  assert.equal(csvCell('=HYPERLINK("http://evil")'), `"'=HYPERLINK(""http://evil"")"`);
  assert.equal(csvCell('-2+3'), "'-2+3");
  assert.equal(csvCell('@SUM(A1)'), "'@SUM(A1)");
  assert.equal(csvCell(-12.5), '-12.5');
  assert.equal(csvCell('-7'), '-7');
  assert.equal(csvCell(null), '');
  assert.equal(toCsvLines(['a', 'b'], [[1, 'x,y']]), 'a,b\r\n1,"x,y"\r\n');
});
