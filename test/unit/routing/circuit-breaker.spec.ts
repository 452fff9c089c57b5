import { CircuitBreaker } from '../../../src/synthesis/routing/circuit-breaker';

describe('CircuitBreaker', () => {
  let now = 0;
  const policy = { failure_threshold: 3, window_ms: 1000, cooldown_ms: 500 };
  const make = () => new CircuitBreaker(policy, () => now);

  beforeEach(() => (now = 0));

  it('opens after the threshold of failures within the window and refuses calls', () => {
    const sut = make();
    for (let i = 0; i < 3; i++) {
      expect(sut.tryAcquire()).toBe(true);
      sut.recordFailure();
    }
    expect(sut.state).toBe('open');
    expect(sut.tryAcquire()).toBe(false);
  });

  it('forgets failures older than the window', () => {
    const sut = make();
    sut.recordFailure();
    sut.recordFailure();
    now = 1500;
    sut.recordFailure();
    expect(sut.state).toBe('closed');
  });

  it('lets exactly one probe through after the cool-down, and closes on its success', () => {
    const sut = make();
    for (let i = 0; i < 3; i++) sut.recordFailure();
    now = 499;
    expect(sut.tryAcquire()).toBe(false);
    now = 500;
    expect(sut.tryAcquire()).toBe(true);
    expect(sut.state).toBe('half_open');
    expect(sut.tryAcquire()).toBe(false);
    sut.recordSuccess();
    expect(sut.state).toBe('closed');
    expect(sut.tryAcquire()).toBe(true);
  });

  it('re-opens for another cool-down when the probe fails', () => {
    const sut = make();
    for (let i = 0; i < 3; i++) sut.recordFailure();
    now = 600;
    expect(sut.tryAcquire()).toBe(true);
    sut.recordFailure();
    expect(sut.state).toBe('open');
    now = 1000;
    expect(sut.tryAcquire()).toBe(false);
    now = 1100;
    expect(sut.tryAcquire()).toBe(true);
  });
});
