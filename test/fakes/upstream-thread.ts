import { Worker } from 'node:worker_threads';

export interface FakeUpstream {
  url: string;
  close(): Promise<void>;
}

/**
 * A ScriptableUpstream answering 200 with `bodyBytes` of PCM at once, in its own worker thread, as a
 * real upstream runs elsewhere: the measured event loop carries the proxy only. It loads the compiled
 * scriptable-upstream, so it works from dist/ (benchmarks), not under ts-jest.
 */
const FAKE_UPSTREAM = `
const { parentPort, workerData } = require('node:worker_threads');
const { ScriptableUpstream } = require(workerData.module);
ScriptableUpstream.start().then((fake) => {
  fake.defaultResponse = { status: 200, headers: { 'content-type': 'audio/pcm' }, body: Buffer.alloc(workerData.bytes) };
  setInterval(() => fake.reset(), 1000).unref(); // the fake records requests; keep its memory flat
  parentPort.on('message', () => fake.close().then(() => parentPort.postMessage('closed')));
  parentPort.postMessage(fake.url);
});
`;

export async function startUpstreamThread(bodyBytes: number): Promise<FakeUpstream> {
  const worker = new Worker(FAKE_UPSTREAM, {
    eval: true,
    workerData: { module: require.resolve('./scriptable-upstream'), bytes: bodyBytes },
  });
  const url = await new Promise<string>((resolve, reject) => {
    worker.once('message', resolve);
    worker.once('error', reject);
  });
  return {
    url,
    async close() {
      worker.postMessage('close');
      await new Promise((resolve) => worker.once('message', resolve));
      await worker.terminate();
    },
  };
}
