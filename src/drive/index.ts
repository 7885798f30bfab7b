// The drive layer's entry point: builds the TeraBox-backed Drive and opens the local-state DB it uses.

import { TeraBoxDrive, type TeraBoxDriveOptions } from './terabox-drive.js';
import type { Drive } from './types.js';

export { openLocalState } from './local-state.js';
export { DRIVE_DEFAULTS, type TeraBoxDriveOptions } from './terabox-drive.js';
export { DEFAULT_OVERLAY_PATTERNS } from './junk-names.js';
export * from './types.js';

export function createTeraBoxDrive(opts: TeraBoxDriveOptions): Drive {
  return new TeraBoxDrive(opts);
}
