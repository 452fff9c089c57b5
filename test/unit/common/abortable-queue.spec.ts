import { AbortableQueue } from '../../../src/common/abortable-queue';

describe('AbortableQueue', () => {
  it('hands out calls first in first out and settles each with its server’s answer', async () => {
    const queue = new AbortableQueue<string, number>();
    const first = queue.add('a');
    const second = queue.add('bb');
    expect(queue.length).toBe(2);
    const a = queue.take()!;
    const b = queue.take()!;
    expect([a.item, b.item]).toEqual(['a', 'bb']);
    expect(queue.take()).toBeUndefined();
    b.resolve(2);
    a.reject(new Error('failed'));
    await expect(first).rejects.toThrow('failed');
    await expect(second).resolves.toBe(2);
  });

  it('an aborted waiting call leaves the queue with the signal’s reason; an already aborted one never enters', async () => {
    const queue = new AbortableQueue<string, number>();
    const controller = new AbortController();
    const leaving = queue.add('gone', controller.signal);
    void queue.add('kept');
    controller.abort(new Error('caller gone'));
    await expect(leaving).rejects.toThrow('caller gone');
    expect(queue.length).toBe(1);
    expect(queue.take()!.item).toBe('kept');
    await expect(queue.add('late', AbortSignal.abort(new Error('late')))).rejects.toThrow('late');
    expect(queue.length).toBe(0);
  });

  it('a taken call is released by its signal unless the server ignores the abort', async () => {
    const queue = new AbortableQueue<string, number>();
    const released = new AbortController();
    const held = new AbortController();
    const releasedCall = queue.add('released', released.signal);
    const heldCall = queue.add('held', held.signal);
    queue.take();
    const heldTaken = queue.take()!;
    heldTaken.ignoreAbort();
    released.abort(new Error('stop'));
    held.abort(new Error('stop'));
    await expect(releasedCall).rejects.toThrow('stop');
    heldTaken.resolve(7);
    await expect(heldCall).resolves.toBe(7);
  });

  it('rejectAll empties the queue', async () => {
    const queue = new AbortableQueue<string, number>();
    const waiting = queue.add('a');
    queue.rejectAll(new Error('closed'));
    await expect(waiting).rejects.toThrow('closed');
    expect(queue.length).toBe(0);
  });
});
