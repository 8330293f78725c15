// Learning-rate schedules: functions (iteration, epoch) => rate, given as an optimizer's learningRate.
import { checkRate, type LearningRateSchedule } from './optimizer.js';

export const schedules = {
  /** lr = initial * factor^floor(epoch / everyEpochs): "step decay" annealing (e.g. halve every 5 epochs). */
  stepDecay({ initialLearningRate, factor = 0.5, everyEpochs = 10 }: { initialLearningRate: number; factor?: number; everyEpochs?: number }): LearningRateSchedule {
    checkRate(initialLearningRate, 'stepDecay initialLearningRate');
    checkRate(factor, 'stepDecay factor');
    if (!Number.isInteger(everyEpochs) || everyEpochs < 1) throw new RangeError(`stepDecay everyEpochs must be an integer >= 1, got ${everyEpochs}`);
    return (_iteration, epoch) => initialLearningRate * factor ** Math.floor(epoch / everyEpochs);
  },
  /** lr = initial * decayRate^(iteration / decaySteps), floored exponent when staircase (Keras ExponentialDecay). */
  exponentialDecay({ initialLearningRate, decaySteps, decayRate, staircase = false }: { initialLearningRate: number; decaySteps: number; decayRate: number; staircase?: boolean }): LearningRateSchedule {
    checkRate(initialLearningRate, 'exponentialDecay initialLearningRate');
    checkRate(decaySteps, 'exponentialDecay decaySteps');
    checkRate(decayRate, 'exponentialDecay decayRate');
    return (iteration) => initialLearningRate * decayRate ** (staircase ? Math.floor(iteration / decaySteps) : iteration / decaySteps);
  },
};
