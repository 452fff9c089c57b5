import { BreakerPermit, CircuitBreaker } from '../../../src/synthesis/routing/circuit-breaker';

describe('CircuitBreaker', () => {
  let now = 0;
  const policy = { failure_threshold: 3, window_ms: 1000, cooldown_ms: 500 };
  const make = () => new CircuitBreaker(policy, () => now);
  const acquired = (sut: CircuitBreaker): BreakerPermit => {
    const permit = sut.tryAcquire();
    if (!permit) throw new Error('expected a permit');
    return permit;
  };
  const open = (sut: CircuitBreaker) => {
    for (let i = 0; i < 3; i++) sut.recordFailure(acquired(sut));
  };

  beforeEach(() => (now = 0));

  it('opens after the threshold of failures within the window and refuses calls', () => {
    const sut = make();
    open(sut);
    expect(sut.state).toBe('open');
    expect(sut.tryAcquire()).toBeUndefined();
    expect(sut.retryInMs()).toBe(500);
  });

  it('forgets failures older than the window, and a success clears them', () => {
    const sut = make();
    sut.recordFailure(acquired(sut));
    sut.recordFailure(acquired(sut));
    now = 1500;
    sut.recordFailure(acquired(sut));
    expect(sut.state).toBe('closed');
    sut.recordFailure(acquired(sut));
    sut.recordSuccess(acquired(sut));
    sut.recordFailure(acquired(sut));
    expect(sut.state).toBe('closed');
  });

  it('lets exactly one probe through after the cool-down, and closes on its success', () => {
    const sut = make();
    open(sut);
    now = 499;
    expect(sut.tryAcquire()).toBeUndefined();
    now = 500;
    const probe = acquired(sut);
    expect(probe.probe).toBe(true);
    expect(sut.state).toBe('half_open');
    expect(sut.tryAcquire()).toBeUndefined();
    sut.recordSuccess(probe);
    expect(sut.state).toBe('closed');
    expect(sut.tryAcquire()).toEqual({ probe: false });
  });

  it('re-opens for another cool-down when the probe fails', () => {
    const sut = make();
    open(sut);
    now = 600;
    sut.recordFailure(acquired(sut));
    expect(sut.state).toBe('open');
    now = 1000;
    expect(sut.tryAcquire()).toBeUndefined();
    now = 1100;
    expect(acquired(sut).probe).toBe(true);
  });

  it('ignores calls that started before it opened: only the probe decides', () => {
    const sut = make();
    const early = [acquired(sut), acquired(sut)];
    open(sut);
    // A slow success from before the failures does not skip the cool-down.
    sut.recordSuccess(early[0]);
    expect(sut.state).toBe('open');
    expect(sut.tryAcquire()).toBeUndefined();
    now = 500;
    const probe = acquired(sut);
    // Nor does a late failure re-open the breaker or free a second probe while the probe is out.
    sut.recordFailure(early[1]);
    expect(sut.state).toBe('half_open');
    expect(sut.tryAcquire()).toBeUndefined();
    sut.recordSuccess(probe);
    expect(sut.state).toBe('closed');
  });

  it('says whether it would let a call through, without taking the probe', () => {
    const sut = make();
    expect(sut.acceptsCalls).toBe(true);
    open(sut);
    expect(sut.acceptsCalls).toBe(false);
    now = 500;
    expect(sut.acceptsCalls).toBe(true);
    expect(sut.state).toBe('open');
    const probe = acquired(sut);
    expect(sut.acceptsCalls).toBe(false);
    sut.recordSuccess(probe);
    expect(sut.acceptsCalls).toBe(true);
  });

  it('lets another probe through when the probe ends without a verdict (the caller cancelled)', () => {
    const sut = make();
    open(sut);
    now = 500;
    sut.release(acquired(sut));
    expect(sut.state).toBe('half_open');
    expect(acquired(sut).probe).toBe(true);
  });
});
