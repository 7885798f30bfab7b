// Everything tests share: import from here.

export * from './clock.js';
export * from './data.js';
export * from './intercept.js';
export * from './lists.js';
export * from './stack.js';
export * from './temp.js';
export * from './wait-for.js';
