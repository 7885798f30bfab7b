// The default of every setting, from one source: config/default.json. The settings loader starts
// from that file; the layers' own defaults (what an embedder or a test gets without settings) are
// read from here; the README's settings table is checked against it by test/config.test.ts.

import defaults from '../config/default.json' with { type: 'json' };

export const DEFAULTS = defaults;
