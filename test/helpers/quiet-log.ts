// For tests that provoke errors on purpose: the logger's "[nextmini error] …" lines they cause
// are expected, so they are kept here (for the test to check) instead of mixed into the test
// run's output. Only this test's error lines are taken, and only until it finishes; any other
// output, and every other test's errors, still reach stderr.
import { onTestFinished, vi } from 'vitest';

export function expectLoggedErrors(): string[] {
  const kept: string[] = [];
  const real = console.error.bind(console);
  const spy = vi.spyOn(console, 'error').mockImplementation((...args: unknown[]) => {
    const first = args[0];
    if (typeof first === 'string' && first.startsWith('[nextmini error] ')) kept.push(first);
    else real(...args);
  });
  onTestFinished(() => spy.mockRestore());
  return kept;
}
