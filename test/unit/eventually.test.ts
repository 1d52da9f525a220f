// The tests' one polling helper: it answers as soon as the probe does, and a wait that never ends
// fails at its own deadline, saying what it waited for.
import { describe, expect, it } from 'vitest';
import { eventually } from '../support/eventually';

describe('eventually', () => {
  it('returns the first answer that is not undefined, including falsy ones', async () => {
    const answers = [undefined, undefined, 0, 7];
    let asked = 0;
    await expect(eventually('a count', () => answers[asked++], { everyMs: 1 })).resolves.toBe(0);
    expect(asked).toBe(3);
  });

  it('fails at its deadline with a message naming what never came', async () => {
    let asked = 0;
    const wait = eventually(
      'the email to ana@example.com',
      async () => {
        asked++;
        return undefined;
      },
      { timeoutMs: 50, everyMs: 5 },
    );
    await expect(wait).rejects.toThrow(/waited 50 ms \(\d+ checks\) for the email to ana@example\.com; it never came/);
    expect(asked).toBeGreaterThan(1);
  });

  it('passes on a probe that throws', async () => {
    await expect(
      eventually('a token', async () => {
        throw new Error('the endpoint is down');
      }),
    ).rejects.toThrow('the endpoint is down');
  });
});
