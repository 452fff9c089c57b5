/**
 * Retries `check` until it passes or `timeoutMs` runs out (then its last failure is thrown): for what
 * happens after a response has ended, such as a settle in the background or an upstream seeing the close.
 */
export async function eventually(check: () => unknown, timeoutMs = 3000, intervalMs = 25): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      await check();
      return;
    } catch (error) {
      if (Date.now() >= deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, intervalMs));
    }
  }
}
