/** The scaling policy as the fleet document writes it: the `metric` + `target` form, its defaults and refusals. */
import { describe, expect, it } from 'vitest';

import { DEFAULT_QUEUE_DEPTH_TARGET, ScalingModel } from '../../src/fleets/core/policy.js';

describe('the scaling policy’s target form', () => {
  it('takes metric + target as written, AUTO when no mode is given', () => {
    expect(ScalingModel.parse({ min: 5, max: 50, metric: 'QUEUE_DEPTH', target: 100 })).toMatchObject({ mode: 'AUTO', metric: 'QUEUE_DEPTH', target: 100 });
    expect(ScalingModel.parse({ min: 5, max: 50, metric: 'QUEUE_DEPTH', target: 100, mode: 'MANUAL' })).toMatchObject({ mode: 'MANUAL' });
    expect(ScalingModel.parse({ min: 1, max: 5 })).toMatchObject({ mode: 'MANUAL', metric: null, target: null });
  });

  it('gives QUEUE_DEPTH alone its default target per worker', () => {
    // docs/product/fleets.md "Data Processing Fleet": `metric: 'queue_depth', aggressive: true`.
    expect(ScalingModel.parse({ min: 5, max: 100, metric: 'QUEUE_DEPTH', aggressive: true })).toMatchObject({ metric: 'QUEUE_DEPTH', target: DEFAULT_QUEUE_DEPTH_TARGET });
  });

  it('refuses a target without a metric, another metric without a target, and a target of 0', () => {
    const issues = (input: unknown) => ScalingModel.safeParse(input).error?.issues.map(({ path, message }) => ({ path, message }));
    expect(issues({ target: 10 })).toEqual([{ path: ['metric'], message: 'a target needs its metric, e.g. QUEUE_DEPTH' }]);
    expect(issues({ metric: 'AVG_UTILIZATION' })).toEqual([{ path: ['target'], message: 'must be given with AVG_UTILIZATION or RESPONSE_TIME (only QUEUE_DEPTH has a default)' }]);
    expect(issues({ metric: 'QUEUE_DEPTH', target: 0 })).toEqual([{ path: ['target'], message: 'must be above 0' }]);
  });
});
