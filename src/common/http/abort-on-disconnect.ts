import type { Response } from 'express';

/**
 * Runs `work` with a signal that fires when the client goes away before the answer is complete: its
 * synthesis is cancelled (the upstream call closed, local inference dropped) and its billing follows
 * the one rule (charged only for audio it was sent).
 */
export async function abortOnDisconnect<T>(response: Response, work: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const controller = new AbortController();
  const onClose = () => {
    if (!response.writableFinished) controller.abort(new Error('the client closed the connection'));
  };
  response.once('close', onClose);
  try {
    return await work(controller.signal);
  } finally {
    response.off('close', onClose);
  }
}
