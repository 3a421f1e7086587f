import { buildProgram } from './cli/program.js';
import { reportError } from './cli/output.js';

/** argv -> cli; nothing else. */
export async function main(argv: string[]): Promise<void> {
  try {
    await buildProgram().parseAsync(argv);
  } catch (error) {
    process.exitCode = reportError(error);
  }
}
