import type { Response } from 'express';

/**
 * Runs `work` with a signal that fires when the client goes away before the answer is written,
 * so a hung-up caller does not keep an inference thread busy (and is not billed: synthesis fails).
 */
export async function abortOnDisconnect<T>(response: Response, work: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const controller = new AbortController();
  const onClose = () => {
    if (!response.writableFinished) controller.abort();
  };
  response.once('close', onClose);
  try {
    return await work(controller.signal);
  } finally {
    response.off('close', onClose);
  }
}
